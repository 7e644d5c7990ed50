import { queries, type Queryable } from '@bulwark/db';

/**
 * How a quorum task was decided: the record the queue stores on the task when it
 * resolves, writes as its report artifact, and hands to whoever vouches for the
 * result (provenance's verification summary). Every digest in it is one the blob
 * store computed while storing the artifact, never one a worker reported (S17).
 */
export interface QuorumOutcome {
  taskId: string;
  /** The task's resolution. */
  state: 'completed' | 'failed' | 'exception';
  /**
   * - `agreed`: every replica completed and every compared artifact is identical;
   * - `differed`: every replica completed, some artifact differs or is missing;
   * - `replica-failed`: a replica failed or ended in exception with no retry left;
   * - `deadline-exceeded`, `canceled`: the task ended before the quorum was reached.
   */
  reason: 'agreed' | 'differed' | 'replica-failed' | 'deadline-exceeded' | 'canceled';
  /** The reason in plain words, naming the replicas and artifacts concerned. */
  message: string;
  decided: string;
  replicasRequired: number;
  distinctBy: 'workerId' | 'workerGroup';
  trustedTaskQueueId?: string;
  /** Each replica's deciding run: its latest run when the quorum was decided. */
  replicas: ReplicaOutcome[];
  /** Compared artifacts, by name; empty unless every replica completed. */
  artifacts: ArtifactComparison[];
  /** Artifacts left out of the comparison: logs, the queue's own, declared nondeterministic. */
  ignored: string[];
}

export interface ReplicaOutcome {
  replica: number;
  /** Whether this is the replica required from the trusted task queue. */
  trusted: boolean;
  /** Absent for a replica that never had a run (the task ended first). */
  runId?: number;
  state: 'unscheduled' | 'pending' | 'running' | 'completed' | 'failed' | 'exception';
  reasonResolved?: string;
  workerGroup?: string;
  workerId?: string;
  /** The queue the replica is claimed from (the trusted queue for the trusted replica). */
  taskQueueId: string;
}

export interface ArtifactComparison {
  name: string;
  agreed: boolean;
  /** One entry per replica, in replica order. */
  digests: ReplicaDigest[];
}

export interface ReplicaDigest {
  replica: number;
  /** The store-computed sha256 of the content; null when the replica lacks the artifact. */
  sha256: string | null;
  /** For artifacts without stored content (reference, link, error): what they are. */
  storageType?: string;
  details?: Record<string, string>;
}

/**
 * The outcome of a quorum task the queue has decided; undefined for an ordinary task,
 * an unknown one, or one still undecided. This is the seam for provenance: it reads
 * only what the queue stored when it resolved the task.
 */
export async function quorumOutcome(
  db: Queryable,
  taskId: string,
): Promise<QuorumOutcome | undefined> {
  const task = await queries.queueTasks.getTask(db, taskId);
  if (!task?.quorum) return undefined;
  return task.quorum as unknown as QuorumOutcome;
}
