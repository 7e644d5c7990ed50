import { queries, type Queryable } from '@bulwark/db';
import { addFirstRuns } from './first-runs.js';

/**
 * After a task resolved for good (no retry follows), satisfies the dependencies on it
 * and schedules every dependent whose last dependency this was, in the same
 * transaction, so dependents start without a polling delay.
 *
 * Each dependent is locked before its remaining dependencies are counted. When two
 * of its dependencies resolve at the same time, the second transaction waits for
 * that lock and then counts with the first one's change visible, so exactly one of
 * them schedules it and neither misses it.
 */
export async function scheduleSatisfiedDependents(
  db: Queryable,
  resolvedTaskId: string,
  state: 'completed' | 'failed' | 'exception',
  now: Date,
): Promise<void> {
  const dependents = await queries.queueTasks.satisfyDependencies(
    db,
    resolvedTaskId,
    state === 'completed',
  );
  await scheduleDependents(db, dependents, now);
}

/**
 * Schedules each of `dependents` (sorted, so concurrent callers lock them in the same
 * order) whose dependencies were just satisfied and are now all satisfied; the
 * second half of scheduleSatisfiedDependents, for callers that satisfied them in a
 * statement of their own.
 */
export async function scheduleDependents(
  db: Queryable,
  dependents: readonly string[],
  now: Date,
): Promise<void> {
  for (const dependentId of dependents) {
    const dependent = await queries.queueTasks.getTaskForUpdate(db, dependentId);
    if (!dependent || dependent.deadline <= now) continue;
    if ((await queries.queueTasks.countUnsatisfiedDependencies(db, dependentId)) > 0) continue;
    // Scheduled already (scheduleTask, or it was canceled): nothing to do.
    if ((await queries.queueRuns.getRuns(db, dependentId)).length > 0) continue;
    await addFirstRuns(db, dependent, now);
  }
}
