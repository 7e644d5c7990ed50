import type { queries } from '@bulwark/db';
import { isControlPlaneArtifactName } from './control-plane-artifacts.js';
import { latestRunPerReplica } from './quorum-decide.js';
import type { QuorumOutcome } from './quorum-outcome.js';
import { replicaTaskQueueId, trustedReplica } from './verification.js';
import { isWorkerLogName } from './worker-log.js';
import type { TaskStatusState } from './task-status.js';

type TaskRow = queries.queueTasks.TaskRow;
type RunRow = queries.queueRuns.RunRow;
type ReplicaArtifact = queries.queueQuorum.ReplicaArtifact;

/** At most this many artifacts are listed per replica in a status; the report has all. */
export const MAX_STATUS_ARTIFACTS = 1000;

/** A Bulwark extension of the task status: the quorum, its replicas and their digests. */
export interface QuorumStatusJson {
  required: number;
  distinctBy: 'workerId' | 'workerGroup';
  trustedTaskQueueId?: string;
  /** False until every replica completed or the quorum could no longer be reached. */
  decided: boolean;
  reason?: QuorumOutcome['reason'];
  message?: string;
  replicas: ReplicaStatusJson[];
}

export interface ReplicaStatusJson {
  replica: number;
  trusted: boolean;
  taskQueueId: string;
  runId?: number;
  state: string;
  workerGroup?: string;
  workerId?: string;
  /** Store-computed digests of the replica's artifacts (logs left out); null: missing. */
  artifacts?: { name: string; sha256: string | null; agreed?: boolean }[];
}

/**
 * A quorum task's state: its decision once made; before that `pending` while no
 * replica has been claimed, `running` once any has (a replica may already have
 * completed while the others run), `unscheduled` before its replicas exist.
 */
export function quorumTaskState(task: TaskRow, runs: readonly RunRow[]): TaskStatusState {
  if (task.quorum) return task.quorum.state;
  if (runs.length === 0) return 'unscheduled';
  return runs.every((r) => r.state === 'pending') ? 'pending' : 'running';
}

function digestsOf(artifacts: readonly ReplicaArtifact[]): ReplicaStatusJson['artifacts'] {
  return artifacts
    .filter((a) => !isWorkerLogName(a.name) && !isControlPlaneArtifactName(a.name))
    .slice(0, MAX_STATUS_ARTIFACTS)
    .map((a) => ({ name: a.name, sha256: a.blobSha256 }));
}

/**
 * The quorum as a task status shows it. Decided, the digests are those the decision
 * compared; before, `artifacts` (the present artifacts of completed replica runs, when
 * the caller read them) gives each completed replica's digests so far.
 */
export function quorumStatusJson(
  task: TaskRow,
  runs: readonly RunRow[],
  artifacts?: readonly ReplicaArtifact[],
): QuorumStatusJson | undefined {
  const verification = task.verification;
  if (!verification) return undefined;
  const outcome = task.quorum as unknown as QuorumOutcome | null;
  const latest = latestRunPerReplica(verification, runs);
  const replicas = latest.map((run, replica): ReplicaStatusJson => {
    let digests: ReplicaStatusJson['artifacts'];
    if (outcome && outcome.artifacts.length > 0) {
      digests = outcome.artifacts.slice(0, MAX_STATUS_ARTIFACTS).map((a) => ({
        name: a.name,
        sha256: a.digests[replica]?.sha256 ?? null,
        agreed: a.agreed,
      }));
    } else if (artifacts && run?.state === 'completed') {
      digests = digestsOf(artifacts.filter((a) => a.runId === run.runId));
    }
    return {
      replica,
      trusted: trustedReplica(verification) === replica,
      taskQueueId: replicaTaskQueueId(task, replica),
      ...(run ? { runId: run.runId } : {}),
      state: run?.state ?? 'unscheduled',
      ...(run?.workerGroup ? { workerGroup: run.workerGroup } : {}),
      ...(run?.workerId ? { workerId: run.workerId } : {}),
      ...(digests ? { artifacts: digests } : {}),
    };
  });
  return {
    required: verification.replicas,
    distinctBy: verification.distinctBy,
    ...(verification.trustedTaskQueueId !== undefined
      ? { trustedTaskQueueId: verification.trustedTaskQueueId }
      : {}),
    decided: outcome !== null,
    ...(outcome ? { reason: outcome.reason, message: outcome.message } : {}),
    replicas,
  };
}
