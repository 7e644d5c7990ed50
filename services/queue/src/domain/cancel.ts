import { queries, type Queryable } from '@bulwark/db';
import type { QueueContext } from './context.js';
import { scheduleSatisfiedDependents } from './dependencies.js';
import { decideQuorum } from './quorum-decide.js';

type TaskRow = queries.queueTasks.TaskRow;

/**
 * Resolves the task as `exception/<reason>` (Taskcluster's `cancel_task`): a pending
 * or running latest run becomes exception; an unscheduled task gets one run that is
 * born resolved; an already resolved task is left alone. An undecided quorum task
 * ends its quorum unreached (every open replica resolved, the report written). The
 * caller holds the task row's lock. Returns whether anything changed.
 */
export async function cancelTaskRuns(
  ctx: QueueContext,
  db: Queryable,
  task: TaskRow,
  reason: 'canceled' | 'deadline-exceeded',
  now: Date,
): Promise<boolean> {
  if (task.verification !== null) {
    if (task.quorum !== null) return false;
    await decideQuorum(ctx, db, task, { kind: reason }, now);
    return true;
  }
  const runs = await queries.queueRuns.getRuns(db, task.taskId);
  const latest = runs.at(-1);
  if (!latest) {
    await queries.queueRuns.addResolvedRun(
      db,
      { taskId: task.taskId, runId: 0, reasonCreated: 'exception', reasonResolved: reason },
      now,
    );
  } else if (latest.state === 'pending' || latest.state === 'running') {
    await queries.queueRuns.resolveRun(
      db,
      { taskId: task.taskId, runId: latest.runId, state: 'exception', reasonResolved: reason },
      now,
    );
  } else {
    return false;
  }
  await scheduleSatisfiedDependents(db, task.taskId, 'exception', now);
  return true;
}
