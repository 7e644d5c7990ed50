import type { Queryable } from './queryable.js';

/**
 * A task's request to be verified by a quorum of replicas (docs/quorum.md), as
 * accepted by createTask with its defaults filled in.
 */
export interface TaskVerification {
  replicas: number;
  distinctBy: 'workerId' | 'workerGroup';
  trustedTaskQueueId?: string;
  nondeterministic?: string[];
}

/**
 * How a quorum task was decided; the queue's domain (quorum-outcome.ts) gives the
 * rest of its shape. Stored once, when the task resolves.
 */
export interface QuorumDecision {
  state: 'completed' | 'failed' | 'exception';
  reason: string;
  [detail: string]: unknown;
}

/** A task's definition as stored; JSON fields are kept exactly as accepted. */
export interface TaskRow {
  taskId: string;
  taskQueueId: string;
  schedulerId: string;
  projectId: string;
  taskGroupId: string;
  dependencies: string[];
  requires: 'all-completed' | 'all-resolved';
  routes: string[];
  /** 7 = highest ... 1 = lowest. */
  priority: number;
  retries: number;
  retriesLeft: number;
  created: Date;
  deadline: Date;
  expires: Date;
  scopes: string[];
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
  tags: Record<string, string>;
  extra: Record<string, unknown>;
  /** The quorum the task asked for; null for an ordinary task. */
  verification: TaskVerification | null;
  /** The quorum's decision once made; null before and for an ordinary task. */
  quorum: QuorumDecision | null;
}

const COLUMN_NAMES = [
  'task_id',
  'task_queue_id',
  'scheduler_id',
  'project_id',
  'task_group_id',
  'dependencies',
  'requires',
  'routes',
  'priority',
  'retries',
  'retries_left',
  'created',
  'deadline',
  'expires',
  'scopes',
  'payload',
  'metadata',
  'tags',
  'extra',
  'verification',
  'quorum',
] as const;

export const TASK_COLUMNS = COLUMN_NAMES.join(', ');
const COLUMNS = TASK_COLUMNS;

/** The task columns qualified by a table alias, for statements that join tasks. */
export const taskColumnsOf = (alias: string): string =>
  COLUMN_NAMES.map((c) => `${alias}.${c}`).join(', ');

export interface DbTaskRow {
  task_id: string;
  task_queue_id: string;
  scheduler_id: string;
  project_id: string;
  task_group_id: string;
  dependencies: string[];
  requires: 'all-completed' | 'all-resolved';
  routes: string[];
  priority: number;
  retries: number;
  retries_left: number;
  created: Date;
  deadline: Date;
  expires: Date;
  scopes: string[];
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
  tags: Record<string, string>;
  extra: Record<string, unknown>;
  verification: TaskVerification | null;
  quorum: QuorumDecision | null;
}

export function taskRowFromDb(r: DbTaskRow): TaskRow {
  return {
    taskId: r.task_id,
    taskQueueId: r.task_queue_id,
    schedulerId: r.scheduler_id,
    projectId: r.project_id,
    taskGroupId: r.task_group_id,
    dependencies: r.dependencies,
    requires: r.requires,
    routes: r.routes,
    priority: r.priority,
    retries: r.retries,
    retriesLeft: r.retries_left,
    created: r.created,
    deadline: r.deadline,
    expires: r.expires,
    scopes: r.scopes,
    payload: r.payload,
    metadata: r.metadata,
    tags: r.tags,
    extra: r.extra,
    verification: r.verification,
    quorum: r.quorum,
  };
}

export async function getTask(db: Queryable, taskId: string): Promise<TaskRow | undefined> {
  const { rows } = await db.query<DbTaskRow>(`SELECT ${COLUMNS} FROM tasks WHERE task_id = $1`, [
    taskId,
  ]);
  return rows[0] ? taskRowFromDb(rows[0]) : undefined;
}

/** Locks the task row: every change to a task's runs or retries takes this lock first. */
export async function getTaskForUpdate(
  db: Queryable,
  taskId: string,
): Promise<TaskRow | undefined> {
  const { rows } = await db.query<DbTaskRow>(
    `SELECT ${COLUMNS} FROM tasks WHERE task_id = $1 FOR UPDATE`,
    [taskId],
  );
  return rows[0] ? taskRowFromDb(rows[0]) : undefined;
}

/** A task's column values in COLUMN_NAMES order, as insertTask binds them ($1 to $21). */
export function taskInsertValues(t: TaskRow): unknown[] {
  return [
    t.taskId,
    t.taskQueueId,
    t.schedulerId,
    t.projectId,
    t.taskGroupId,
    JSON.stringify(t.dependencies),
    t.requires,
    JSON.stringify(t.routes),
    t.priority,
    t.retries,
    t.retriesLeft,
    t.created,
    t.deadline,
    t.expires,
    JSON.stringify(t.scopes),
    JSON.stringify(t.payload),
    JSON.stringify(t.metadata),
    JSON.stringify(t.tags),
    JSON.stringify(t.extra),
    t.verification === null ? null : JSON.stringify(t.verification),
    t.quorum === null ? null : JSON.stringify(t.quorum),
  ];
}

/** Inserts the task; returns false (and changes nothing) when the id is taken. */
export async function insertTask(db: Queryable, t: TaskRow): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO tasks (${COLUMNS})
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21)
     ON CONFLICT (task_id) DO NOTHING`,
    taskInsertValues(t),
  );
  return rowCount === 1;
}

export async function setRetriesLeft(
  db: Queryable,
  taskId: string,
  retriesLeft: number,
): Promise<void> {
  await db.query(`UPDATE tasks SET retries_left = $2 WHERE task_id = $1`, [taskId, retriesLeft]);
}

export interface TaskGroupRow {
  taskGroupId: string;
  schedulerId: string;
  expires: Date;
  sealed: Date | null;
}

/**
 * Creates the group or extends its expiry, and returns it as stored, so the caller
 * can refuse a task whose schedulerId differs or whose group is sealed (the
 * transaction is then rolled back, undoing the extension).
 */
export async function ensureTaskGroup(
  db: Queryable,
  group: { taskGroupId: string; schedulerId: string; expires: Date },
): Promise<TaskGroupRow> {
  const { rows } = await db.query<{
    task_group_id: string;
    scheduler_id: string;
    expires: Date;
    sealed: Date | null;
  }>(
    `INSERT INTO task_groups (task_group_id, scheduler_id, expires) VALUES ($1, $2, $3)
     ON CONFLICT (task_group_id)
       DO UPDATE SET expires = GREATEST(task_groups.expires, EXCLUDED.expires)
     RETURNING task_group_id, scheduler_id, expires, sealed`,
    [group.taskGroupId, group.schedulerId, group.expires],
  );
  const r = rows[0];
  if (!r) throw new Error('ensureTaskGroup returned no row');
  return {
    taskGroupId: r.task_group_id,
    schedulerId: r.scheduler_id,
    expires: r.expires,
    sealed: r.sealed,
  };
}

/**
 * Of `taskIds`, those that exist, share-locked so none of them can resolve (and so
 * change whether it satisfies a dependency) until this transaction ends.
 */
export async function lockExistingTasks(
  db: Queryable,
  taskIds: readonly string[],
): Promise<string[]> {
  if (taskIds.length === 0) return [];
  const { rows } = await db.query<{ task_id: string }>(
    `SELECT task_id FROM tasks WHERE task_id = ANY($1::text[]) ORDER BY task_id FOR SHARE`,
    [taskIds],
  );
  return rows.map((r) => r.task_id);
}

/**
 * Records the task's dependencies, each marked satisfied when the required task's
 * latest run (a quorum task: its decision) already resolved the way `requires` asks;
 * returns how many are not.
 */
export async function insertDependencies(
  db: Queryable,
  dependent: { taskId: string; requires: string; expires: Date },
  requiredTaskIds: readonly string[],
): Promise<number> {
  if (requiredTaskIds.length === 0) return 0;
  const { rows } = await db.query<{ unsatisfied: string }>(
    `WITH inserted AS (
       INSERT INTO task_dependencies
         (dependent_task_id, required_task_id, requires, satisfied, expires)
       SELECT $1, required, $3, COALESCE((
           SELECT CASE WHEN $3 = 'all-completed' THEN s.state = 'completed'
                       ELSE s.state IN ('completed', 'failed', 'exception') END
             FROM (SELECT CASE WHEN t.verification IS NULL THEN (
                            SELECT r.state FROM task_runs r WHERE r.task_id = required
                             ORDER BY r.run_id DESC LIMIT 1)
                          -- A quorum task is resolved by its decision, not by a run.
                          ELSE t.quorum->>'state' END AS state
                     FROM tasks t WHERE t.task_id = required) s
         ), false), $4
         FROM unnest($2::text[]) AS required
       ON CONFLICT DO NOTHING
       RETURNING satisfied)
     SELECT count(*) FILTER (WHERE NOT satisfied) AS unsatisfied FROM inserted`,
    [dependent.taskId, requiredTaskIds, dependent.requires, dependent.expires],
  );
  return Number(rows[0]?.unsatisfied ?? 0);
}

/**
 * Claims up to `limit` tasks whose deadline passed and that the deadline resolver
 * has not handled, locking their rows and skipping those another replica holds.
 */
export async function lockTasksPastDeadline(
  db: Queryable,
  before: Date,
  limit: number,
): Promise<string[]> {
  const { rows } = await db.query<{ task_id: string }>(
    `SELECT task_id FROM tasks WHERE NOT deadline_handled AND deadline <= $1
      ORDER BY deadline LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [before, limit],
  );
  return rows.map((r) => r.task_id);
}

export async function markDeadlineHandled(db: Queryable, taskId: string): Promise<void> {
  await db.query(`UPDATE tasks SET deadline_handled = true WHERE task_id = $1`, [taskId]);
}

/** Locks the task row unless another transaction holds it (then false: skip it for now). */
export async function tryLockTask(db: Queryable, taskId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM tasks WHERE task_id = $1 FOR UPDATE SKIP LOCKED`,
    [taskId],
  );
  return rowCount === 1;
}

/**
 * Marks the dependencies on `requiredTaskId` satisfied, when it resolved in a way
 * that satisfies them (`completed` satisfies both kinds, any other resolution only
 * `all-resolved`); returns the dependents touched, sorted so that callers lock them
 * in a consistent order.
 */
export async function satisfyDependencies(
  db: Queryable,
  requiredTaskId: string,
  completed: boolean,
): Promise<string[]> {
  const { rows } = await db.query<{ dependent_task_id: string }>(
    `UPDATE task_dependencies SET satisfied = true
      WHERE required_task_id = $1 AND NOT satisfied AND (requires = 'all-resolved' OR $2)
      RETURNING dependent_task_id`,
    [requiredTaskId, completed],
  );
  return rows.map((r) => r.dependent_task_id).sort();
}

/** How many of the task's dependencies are not yet satisfied. */
export async function countUnsatisfiedDependencies(
  db: Queryable,
  dependentTaskId: string,
): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM task_dependencies
      WHERE dependent_task_id = $1 AND NOT satisfied`,
    [dependentTaskId],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Of `taskIds`, the tasks that exist, in taskId order, after `after` (keyset
 * pagination over the requested set); unknown ids are skipped.
 */
export async function getTasksByIds(
  db: Queryable,
  taskIds: readonly string[],
  page: { after: string | undefined; limit: number },
): Promise<TaskRow[]> {
  if (taskIds.length === 0) return [];
  const { rows } = await db.query<DbTaskRow>(
    `SELECT ${COLUMNS} FROM tasks
      WHERE task_id = ANY($1::text[]) AND ($2::text IS NULL OR task_id > $2)
      ORDER BY task_id LIMIT $3`,
    [taskIds, page.after ?? null, page.limit],
  );
  return rows.map(taskRowFromDb);
}

/** Tasks that list `requiredTaskId` among their dependencies, in taskId order. */
export async function listDependentTasks(
  db: Queryable,
  requiredTaskId: string,
  page: { after: string | undefined; limit: number },
): Promise<TaskRow[]> {
  const { rows } = await db.query<DbTaskRow>(
    `SELECT ${taskColumnsOf('t')} FROM task_dependencies d
       JOIN tasks t ON t.task_id = d.dependent_task_id
      WHERE d.required_task_id = $1 AND ($2::text IS NULL OR d.dependent_task_id > $2)
      ORDER BY d.dependent_task_id LIMIT $3`,
    [requiredTaskId, page.after ?? null, page.limit],
  );
  return rows.map(taskRowFromDb);
}

/** Sets the tasks' priority; the caller holds their rows' locks. */
export async function setPriority(
  db: Queryable,
  taskIds: readonly string[],
  priority: number,
): Promise<void> {
  await db.query(`UPDATE tasks SET priority = $2 WHERE task_id = ANY($1::text[])`, [
    taskIds,
    priority,
  ]);
}

/**
 * Deletes up to `limit` tasks whose expiry passed, with their runs, pending work and
 * dependency rows (and anything else that references tasks ON DELETE CASCADE), and
 * the record of which worker took which replica.
 * Rows another replica is deleting are skipped. Returns how many were deleted.
 */
export async function deleteExpiredTasks(db: Queryable, now: Date, limit: number): Promise<number> {
  // task_replica_workers has no foreign key (migration 0012): its rows go here.
  const { rows } = await db.query<{ deleted: string }>(
    `WITH gone AS (
       DELETE FROM tasks WHERE task_id IN (
         SELECT task_id FROM tasks WHERE expires <= $1
          ORDER BY expires LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING task_id),
     holds AS (DELETE FROM task_replica_workers WHERE task_id IN (SELECT task_id FROM gone))
     SELECT count(*) AS deleted FROM gone`,
    [now, limit],
  );
  return Number(rows[0]?.deleted ?? 0);
}

/** Deletes up to `limit` dependency rows whose expiry passed; returns how many. */
export async function deleteExpiredDependencies(
  db: Queryable,
  now: Date,
  limit: number,
): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM task_dependencies WHERE (required_task_id, dependent_task_id) IN (
       SELECT required_task_id, dependent_task_id FROM task_dependencies WHERE expires <= $1
        ORDER BY expires LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [now, limit],
  );
  return rowCount ?? 0;
}
