import { queries, type Queryable } from '@bulwark/db';
import type { QueueContext } from './context.js';
import { decideQuorum, latestRunPerReplica } from './quorum-decide.js';
import { replicaTaskQueueId } from './verification.js';

type TaskRow = queries.queueTasks.TaskRow;
type RunRow = queries.queueRuns.RunRow;
type RunState = queries.queueRuns.RunState;

/**
 * Resolutions a retry cannot change: the payload is wrong for every worker, or the
 * task was ended on purpose.
 */
const FINAL_REASONS = new Set(['malformed-payload', 'canceled', 'deadline-exceeded']);

/**
 * Resolves one replica's running run of a quorum task (docs/quorum.md), under the
 * task row's lock, and takes the quorum's next step:
 *
 * - completed: when every replica's latest run has completed, the quorum is decided
 *   by comparing their artifacts;
 * - failed or exception: the replica runs again (a new run of the same replica,
 *   consuming one of the task's retries) while retries remain and the deadline is
 *   ahead; otherwise the quorum cannot be reached and the task resolves with the
 *   replica's state.
 *
 * Nothing here satisfies dependencies except a decision. Returns the task as it is
 * now and whether a retry was added.
 */
export async function resolveReplicaRun(
  ctx: QueueContext,
  db: Queryable,
  task: TaskRow,
  run: RunRow,
  resolution: { state: Exclude<RunState, 'pending' | 'running'>; reasonResolved: string },
  now: Date,
): Promise<{ task: TaskRow; retried: boolean }> {
  await queries.queueRuns.resolveRun(
    db,
    { taskId: task.taskId, runId: run.runId, ...resolution },
    now,
  );
  if (task.quorum !== null || task.verification === null || run.replica === null) {
    return { task, retried: false };
  }
  const runs = await queries.queueRuns.getRuns(db, task.taskId);
  const resolved = runs.find((r) => r.runId === run.runId) ?? run;
  if (resolution.state === 'completed') {
    const latest = latestRunPerReplica(task.verification, runs);
    if (!latest.every((r) => r?.state === 'completed')) return { task, retried: false };
    return { task: await decideQuorum(ctx, db, task, { kind: 'compare' }, now), retried: false };
  }
  const retriable = !FINAL_REASONS.has(resolution.reasonResolved);
  if (retriable && task.retriesLeft > 0 && task.deadline > now) {
    await queries.queueTasks.setRetriesLeft(db, task.taskId, task.retriesLeft - 1);
    await queries.queueRuns.addPendingRun(
      db,
      {
        taskId: task.taskId,
        runId: Math.max(...runs.map((r) => r.runId)) + 1,
        reasonCreated: resolution.reasonResolved === 'intermittent-task' ? 'task-retry' : 'retry',
        taskQueueId: replicaTaskQueueId(task, run.replica),
        priority: task.priority,
        replica: run.replica,
      },
      now,
    );
    return { task: { ...task, retriesLeft: task.retriesLeft - 1 }, retried: true };
  }
  // Past the deadline no retry could run: the quorum was not reached in time.
  const ending =
    retriable && task.deadline <= now
      ? ({ kind: 'deadline-exceeded' } as const)
      : ({ kind: 'replica-failed', run: resolved } as const);
  const decided = await decideQuorum(ctx, db, task, ending, now);
  return { task: decided, retried: false };
}
