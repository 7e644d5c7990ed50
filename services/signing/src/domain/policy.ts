import type { VerificationPolicy } from '@bulwark/attest';

/**
 * What a task's provenance must show before a key signs its artifact (S16, S17): the
 * builder's trust level, how many replicas on distinct workers agreed, a replica from a
 * trusted queue, and which task queues may have built it at all.
 */
export interface SigningPolicy {
  minLevel: 1 | 2 | 3;
  replicas: number;
  trustedTaskQueueId?: string;
  /** Task queue ids, or prefixes ending in `*`, whose tasks this key may sign. */
  taskQueues: string[];
}

export function verificationPolicy(policy: SigningPolicy): VerificationPolicy {
  return {
    minLevel: policy.minLevel,
    replicas: policy.replicas,
    ...(policy.trustedTaskQueueId !== undefined && {
      trustedTaskQueueId: policy.trustedTaskQueueId,
    }),
  };
}

export function queueAllowed(policy: SigningPolicy, taskQueueId: string): boolean {
  return policy.taskQueues.some((pattern) =>
    pattern.endsWith('*') ? taskQueueId.startsWith(pattern.slice(0, -1)) : taskQueueId === pattern,
  );
}
