import { inputError, type FromJsonSchema } from '@bulwark/api';
import type { queries } from '@bulwark/db';
import type { verificationSchema } from '../schemas/verification.js';

type TaskVerification = queries.queueTasks.TaskVerification;
type TaskRow = queries.queueTasks.TaskRow;

/** The `verification` field of createTask as the schema admits it. */
export type VerificationInput = FromJsonSchema<typeof verificationSchema>;

/**
 * The verification as stored, with its default (distinct workers by workerId), or
 * null for an ordinary task. The trusted queue must be another queue: a replica
 * "from the trusted queue" that any worker of the task's own queue could take would
 * prove nothing.
 */
export function verificationFromInput(
  input: VerificationInput | undefined,
  taskQueueId: string,
): TaskVerification | null {
  if (input === undefined) return null;
  if (input.trustedTaskQueueId === taskQueueId) {
    throw inputError('verification.trustedTaskQueueId must differ from the task’s own taskQueueId');
  }
  return {
    replicas: input.replicas,
    distinctBy: input.distinctBy ?? 'workerId',
    ...(input.trustedTaskQueueId !== undefined
      ? { trustedTaskQueueId: input.trustedTaskQueueId }
      : {}),
    ...(input.nondeterministic !== undefined
      ? { nondeterministic: [...input.nondeterministic] }
      : {}),
  };
}

/** The scopes asking for a quorum needs besides createTask's (docs/quorum.md). */
export function verifyTaskScopes(verification: TaskVerification | null, taskQueueId: string) {
  if (!verification) return [];
  const queues = [taskQueueId, verification.trustedTaskQueueId].filter(
    (q): q is string => q !== undefined,
  );
  return queues.map((q) => `queue:verify-task:${q}`);
}

/** The trusted replica, when the task has one, is the last. */
export function trustedReplica(verification: TaskVerification): number | undefined {
  return verification.trustedTaskQueueId === undefined ? undefined : verification.replicas - 1;
}

/** The queue a replica is claimed from: the trusted queue for the trusted replica. */
export function replicaTaskQueueId(task: TaskRow, replica: number | null): string {
  const v = task.verification;
  if (v && replica !== null && replica === trustedReplica(v) && v.trustedTaskQueueId) {
    return v.trustedTaskQueueId;
  }
  return task.taskQueueId;
}
