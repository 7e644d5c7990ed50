import type { Subject } from './statement.js';

/** in-toto Verification Summary Attestation v1 (https://slsa.dev/spec/v1.0/verification_summary). */
export const SLSA_VSA_V1 = 'https://slsa.dev/verification_summary/v1';

/** The policy a quorum is judged by: every replica's artifacts bit-identical (docs/provenance.md). */
export const QUORUM_POLICY_URI = 'https://bulwark.invalid/policy/quorum/v1';

/** One replica of a quorum task and where it ran. */
export interface QuorumReplica {
  runId: number;
  workerGroup: string;
  workerId: string;
  taskQueueId: string;
}

/** What the queue's quorum reports for a task: its replicas and whether their digests agreed. */
export interface QuorumOutcome {
  replicas: QuorumReplica[];
  agreed: boolean;
  /** The queue a replica had to come from, when the task asked for a trusted replica. */
  trustedTaskQueueId?: string;
}

export interface VerificationSummary {
  verifier: { id: string };
  timeVerified: string;
  resourceUri: string;
  policy: { uri: string };
  verificationResult: 'PASSED' | 'FAILED';
  verifiedLevels: string[];
  /** Bulwark's record of the quorum the result rests on (an extension field). */
  quorum: {
    replicas: QuorumReplica[];
    /** How many replicas ran on distinct workers (distinct workerGroup/workerId). */
    distinctWorkers: number;
    agreed: boolean;
    trustedTaskQueueId?: string;
    trustedReplicaAgreed: boolean;
  };
}

export interface VsaInput {
  rootUrl: string;
  taskId: string;
  /** The artifacts the replicas agreed on, by their store-computed digests. */
  subjects: Subject[];
  quorum: QuorumOutcome;
  timeVerified: Date;
}

/** How many distinct workers ran the replicas: a worker counts once whatever it ran. */
export function distinctWorkers(replicas: readonly QuorumReplica[]): number {
  return new Set(replicas.map((r) => JSON.stringify([r.workerGroup, r.workerId]))).size;
}

/**
 * The VSA of a quorum task. PASSED only when the replicas agreed, each ran on its own
 * worker, and, where a trusted queue was asked for, one of them ran there; it never
 * says more than the quorum showed.
 */
export function verificationSummary(input: VsaInput): VerificationSummary {
  const { replicas, agreed, trustedTaskQueueId } = input.quorum;
  const distinct = distinctWorkers(replicas);
  const trustedReplicaAgreed =
    trustedTaskQueueId !== undefined &&
    agreed &&
    replicas.some((r) => r.taskQueueId === trustedTaskQueueId);
  const passed =
    agreed &&
    replicas.length > 0 &&
    distinct === replicas.length &&
    (trustedTaskQueueId === undefined || trustedReplicaAgreed);
  return {
    verifier: { id: `${input.rootUrl}/api/queue/v1/quorum` },
    timeVerified: input.timeVerified.toJSON(),
    resourceUri: `${input.rootUrl}/api/queue/v1/task/${input.taskId}`,
    policy: { uri: QUORUM_POLICY_URI },
    verificationResult: passed ? 'PASSED' : 'FAILED',
    verifiedLevels: passed
      ? [
          `BULWARK_QUORUM_${distinct}`,
          ...(trustedReplicaAgreed ? [`BULWARK_TRUSTED_QUEUE:${trustedTaskQueueId}`] : []),
        ]
      : [],
    quorum: {
      replicas,
      distinctWorkers: distinct,
      agreed,
      ...(trustedTaskQueueId !== undefined && { trustedTaskQueueId }),
      trustedReplicaAgreed,
    },
  };
}
