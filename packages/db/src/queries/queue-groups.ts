import type { Queryable } from './queryable.js';
import {
  taskColumnsOf,
  taskRowFromDb,
  type DbTaskRow,
  type TaskGroupRow,
  type TaskRow,
} from './queue-tasks.js';

interface DbTaskGroupRow {
  task_group_id: string;
  scheduler_id: string;
  expires: Date;
  sealed: Date | null;
}

const fromDb = (r: DbTaskGroupRow): TaskGroupRow => ({
  taskGroupId: r.task_group_id,
  schedulerId: r.scheduler_id,
  expires: r.expires,
  sealed: r.sealed,
});

export async function getTaskGroup(
  db: Queryable,
  taskGroupId: string,
): Promise<TaskGroupRow | undefined> {
  const { rows } = await db.query<DbTaskGroupRow>(
    `SELECT task_group_id, scheduler_id, expires, sealed FROM task_groups WHERE task_group_id = $1`,
    [taskGroupId],
  );
  return rows[0] ? fromDb(rows[0]) : undefined;
}

/**
 * Seals the group (once: sealing again keeps the first date). createTask holds the
 * group row's lock while it adds a task, so a task either committed before the seal
 * or sees it and is refused.
 */
export async function sealTaskGroup(
  db: Queryable,
  taskGroupId: string,
  now: Date,
): Promise<TaskGroupRow | undefined> {
  const { rows } = await db.query<DbTaskGroupRow>(
    `UPDATE task_groups SET sealed = COALESCE(sealed, $2) WHERE task_group_id = $1
     RETURNING task_group_id, scheduler_id, expires, sealed`,
    [taskGroupId, now],
  );
  return rows[0] ? fromDb(rows[0]) : undefined;
}

/** The group's tasks in taskId order, after `after`. */
export async function listTasksInGroup(
  db: Queryable,
  taskGroupId: string,
  page: { after: string | undefined; limit: number },
): Promise<TaskRow[]> {
  const { rows } = await db.query<DbTaskRow>(
    `SELECT ${taskColumnsOf('t')} FROM tasks t
      WHERE t.task_group_id = $1 AND ($2::text IS NULL OR t.task_id > $2)
      ORDER BY t.task_id LIMIT $3`,
    [taskGroupId, page.after ?? null, page.limit],
  );
  return rows.map(taskRowFromDb);
}

export async function countTasksInGroup(db: Queryable, taskGroupId: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM tasks WHERE task_group_id = $1`,
    [taskGroupId],
  );
  return Number(rows[0]?.n ?? 0);
}

/** Whether a group is resolved now, with what its task-group-resolved message names. */
export interface GroupResolution {
  schedulerId: string;
  expires: Date;
  sealed: Date | null;
  resolved: boolean;
  lastResolved: Date | null;
}

/**
 * The group's schedulerId and whether it is resolved: every task in it has a run and
 * none is pending or running (Taskcluster's task-group-resolved condition; a task
 * still waiting on its dependencies keeps its group unresolved). Undefined when there
 * is no such group. `lastResolved`, the latest resolution in the group, tells one
 * resolution of the group from the next (a group resolves again after a task is added
 * or rerun) when the same one is read twice.
 */
export async function getGroupResolution(
  db: Queryable,
  taskGroupId: string,
): Promise<GroupResolution | undefined> {
  const { rows } = await db.query<{
    scheduler_id: string;
    expires: Date;
    sealed: Date | null;
    resolved: boolean;
    last_resolved: Date | null;
  }>(
    `SELECT g.scheduler_id, g.expires, g.sealed, (SELECT max(r.resolved) FROM tasks t JOIN task_runs r USING (task_id)
                              WHERE t.task_group_id = g.task_group_id) AS last_resolved,
       NOT EXISTS (
         SELECT 1 FROM tasks t
          WHERE t.task_group_id = g.task_group_id
            AND (NOT EXISTS (SELECT 1 FROM task_runs r WHERE r.task_id = t.task_id)
                 OR EXISTS (SELECT 1 FROM task_runs r
                             WHERE r.task_id = t.task_id AND r.state IN ('pending', 'running')))
       ) AS resolved
       FROM task_groups g WHERE g.task_group_id = $1`,
    [taskGroupId],
  );
  const row = rows[0];
  return (
    row && {
      schedulerId: row.scheduler_id,
      expires: row.expires,
      sealed: row.sealed,
      resolved: row.resolved,
      lastResolved: row.last_resolved,
    }
  );
}

/**
 * Locks (FOR UPDATE, in taskId order so concurrent callers cannot deadlock each
 * other) up to `limit` tasks of the group after `after` that are not resolved:
 * unscheduled, pending or running, and before their deadline.
 */
export async function lockUnresolvedTasksInGroup(
  db: Queryable,
  taskGroupId: string,
  page: { after: string | undefined; limit: number },
  now: Date,
): Promise<TaskRow[]> {
  const { rows } = await db.query<DbTaskRow>(
    `SELECT ${taskColumnsOf('t')} FROM tasks t
      WHERE t.task_group_id = $1 AND ($2::text IS NULL OR t.task_id > $2) AND t.deadline > $4
        AND COALESCE((SELECT r.state FROM task_runs r WHERE r.task_id = t.task_id
                       ORDER BY r.run_id DESC LIMIT 1), 'unscheduled')
            IN ('unscheduled', 'pending', 'running')
      ORDER BY t.task_id LIMIT $3
      FOR UPDATE OF t`,
    [taskGroupId, page.after ?? null, page.limit, now],
  );
  return rows.map(taskRowFromDb);
}

/**
 * Deletes up to `limit` task groups whose expiry passed and that have no task left
 * (a group's expiry is never before its tasks', so they normally go first). A task
 * being added meanwhile extends the group's expiry, and the delete re-checks it.
 */
export async function deleteExpiredTaskGroups(
  db: Queryable,
  now: Date,
  limit: number,
): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM task_groups WHERE task_group_id IN (
       SELECT g.task_group_id FROM task_groups g
        WHERE g.expires <= $1
          AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.task_group_id = g.task_group_id)
        ORDER BY g.expires LIMIT $2 FOR UPDATE SKIP LOCKED)
     AND expires <= $1`,
    [now, limit],
  );
  return rowCount ?? 0;
}
