import { strict as assert } from 'node:assert';
import type pg from 'pg';

/** One step of versions.test.ts (see version-steps.ts), and what the steps share. */
export interface Step {
  version: number;
  /** Representative rows, in SQL valid at `version`. */
  insert: string;
  /** What those rows read as once the schema is at version `at` (>= version). */
  check(db: pg.Pool, at: number): Promise<void>;
}

export const T = (iso: string): Date => new Date(iso);
export const SEALED = { v: 1, kid: 'k1', iv: 'aXY=', ciphertext: 'Y3Q=', tag: 'dGFn' };
export const SHA = 'ab'.repeat(32);

export async function rows(db: pg.Pool, sql: string): Promise<unknown[]> {
  const { rows: found } = await db.query<Record<string, unknown>>(sql);
  return found;
}

/** A task in SQL valid from version 3 on. */
export function taskSql(taskId: string, extra: { dependencies?: string } = {}): string {
  return `INSERT INTO tasks (task_id, task_queue_id, scheduler_id, project_id, task_group_id,
      dependencies, requires, routes, priority, retries, retries_left, created, deadline,
      expires, scopes, payload, metadata, tags, extra)
    VALUES ('${taskId}', 'prov/steps', 'steps', 'proj', 'GROUP3', '${extra.dependencies ?? '[]'}',
      'all-completed', '["index.steps"]', 3, 5, 4, '2030-01-01T00:00:00Z',
      '2030-01-02T00:00:00Z', '2031-01-01T00:00:00Z', '["queue:x"]', '{"image":"x"}',
      '{"name":"${taskId}"}', '{"k":"v"}', '{}');`;
}

export async function checkTask(db: pg.Pool, taskId: string): Promise<void> {
  assert.deepEqual(
    await rows(
      db,
      `SELECT task_id, task_queue_id, task_group_id, routes, priority, retries_left, created,
              deadline, expires, payload, metadata, tags, deadline_handled
         FROM tasks WHERE task_id = '${taskId}'`,
    ),
    [
      {
        task_id: taskId,
        task_queue_id: 'prov/steps',
        task_group_id: 'GROUP3',
        routes: ['index.steps'],
        priority: 3,
        retries_left: 4,
        created: T('2030-01-01T00:00:00Z'),
        deadline: T('2030-01-02T00:00:00Z'),
        expires: T('2031-01-01T00:00:00Z'),
        payload: { image: 'x' },
        metadata: { name: taskId },
        tags: { k: 'v' },
        deadline_handled: false,
      },
    ],
  );
}
