import { strict as assert } from 'node:assert';
import { checkTask, rows, SEALED, SHA, T, taskSql, type Step } from './version-step.js';
import { quorumStep } from './version-step-0012.js';
import { provenanceStep } from './version-step-0013.js';
import { identityProvidersStep } from './version-step-0014.js';
import { signingKeyDisableStep } from './version-step-0015.js';

/**
 * The data of versions.test.ts: every migration, applied one at a time to an empty database, with data carried
 * across (as Taskcluster's dbVersionTest): at each version, rows are written with SQL
 * valid at that version; after each later migration, every row written so far still
 * reads as it did, or as that migration means to change it (0004 fills in the queue of
 * started runs, 0011 makes the nonces durable, 0012 numbers replicas). A migration that
 * drops, rewrites or refuses existing data fails here, not on a production database.
 * The steps of 0012 on live in files of their own (version-step-00NN.ts).
 *
 * A new migration needs a step of its own here: versions.test.ts holds the steps to the
 * list of migrations.
 */
export const steps: readonly Step[] = [
  {
    version: 1,
    insert: `
      INSERT INTO clients VALUES ('steps/client', 'from version 1', '["queue:create-task:*"]',
        '${JSON.stringify(SEALED)}', '2031-01-01T00:00:00Z', false, true,
        '2030-01-01T00:00:00Z', '2030-01-02T00:00:00Z', '2030-01-03T00:00:00Z',
        '2030-01-04T00:00:00Z');
      INSERT INTO roles VALUES ('steps/role', 'a role', '["secrets:get:a"]',
        '2030-01-01T00:00:00Z', '2030-01-05T00:00:00Z');
      UPDATE roles_version SET version = 7;
      INSERT INTO audit_log VALUES (1, '2030-01-01T00:00:00Z', 'client', 'steps/client',
        'created', 'root', '{"scopes":["a"]}', repeat('0', 64), repeat('1', 64));
      INSERT INTO hawk_nonces VALUES (1893456000, 'steps/client', 'nonce-1');`,
    async check(db, at) {
      assert.deepEqual(await rows(db, 'SELECT * FROM clients'), [
        {
          client_id: 'steps/client',
          description: 'from version 1',
          scopes: ['queue:create-task:*'],
          sealed_access_token: SEALED,
          expires: T('2031-01-01T00:00:00Z'),
          disabled: false,
          delete_on_expiration: true,
          created: T('2030-01-01T00:00:00Z'),
          last_modified: T('2030-01-02T00:00:00Z'),
          last_date_used: T('2030-01-03T00:00:00Z'),
          last_rotated: T('2030-01-04T00:00:00Z'),
        },
      ]);
      assert.deepEqual(await rows(db, 'SELECT role_id, scopes, last_modified FROM roles'), [
        {
          role_id: 'steps/role',
          scopes: ['secrets:get:a'],
          last_modified: T('2030-01-05T00:00:00Z'),
        },
      ]);
      assert.deepEqual(await rows(db, 'SELECT singleton, version FROM roles_version'), [
        { singleton: true, version: '7' },
      ]);
      assert.deepEqual(
        await rows(db, 'SELECT seq, entity_id, action, details, prev_hash, hash FROM audit_log'),
        [
          {
            seq: '1',
            entity_id: 'steps/client',
            action: 'created',
            details: { scopes: ['a'] },
            prev_hash: '0'.repeat(64),
            hash: '1'.repeat(64),
          },
        ],
      );
      // 0011 makes the table logged (S13) and keeps what it held.
      assert.deepEqual(
        await rows(
          db,
          `SELECT n.*, c.relpersistence FROM hawk_nonces n, pg_class c
            WHERE c.relname = 'hawk_nonces' AND n.nonce = 'nonce-1'`,
        ),
        [
          {
            ts: '1893456000',
            client_id: 'steps/client',
            nonce: 'nonce-1',
            relpersistence: at >= 11 ? 'p' : 'u',
          },
        ],
      );
    },
  },
  {
    version: 2,
    insert: `INSERT INTO secrets VALUES ('steps/secret', '${JSON.stringify(SEALED)}',
      '2031-01-01T00:00:00Z', '2030-01-01T00:00:00Z', '2030-01-02T00:00:00Z');`,
    async check(db) {
      assert.deepEqual(await rows(db, 'SELECT * FROM secrets'), [
        {
          name: 'steps/secret',
          sealed_value: SEALED,
          expires: T('2031-01-01T00:00:00Z'),
          created: T('2030-01-01T00:00:00Z'),
          last_modified: T('2030-01-02T00:00:00Z'),
        },
      ]);
    },
  },
  {
    version: 3,
    insert: `
      INSERT INTO task_groups VALUES ('GROUP3', 'steps', '2031-01-01T00:00:00Z', NULL);
      ${taskSql('TASK3RUNNING')}
      ${taskSql('TASK3PENDING', { dependencies: '["TASK3RUNNING"]' })}
      INSERT INTO task_runs (task_id, run_id, state, reason_created, worker_group, worker_id,
          taken_until, scheduled, started)
        VALUES ('TASK3RUNNING', 0, 'running', 'scheduled', 'wg', 'wi', '2030-01-01T00:20:00Z',
          '2030-01-01T00:00:00Z', '2030-01-01T00:01:00Z');
      INSERT INTO task_runs (task_id, run_id, state, reason_created, scheduled)
        VALUES ('TASK3PENDING', 0, 'pending', 'scheduled', '2030-01-01T00:00:00Z');
      INSERT INTO pending_tasks (task_id, run_id, task_queue_id, priority, inserted)
        VALUES ('TASK3PENDING', 0, 'prov/steps', 3, '2030-01-01T00:00:00Z');
      INSERT INTO task_dependencies
        VALUES ('TASK3PENDING', 'TASK3RUNNING', 'all-completed', false, '2031-01-01T00:00:00Z');
      INSERT INTO queue_workers (task_queue_id, worker_group, worker_id, quarantine_until,
          quarantine_details, first_claim, last_date_active, expires)
        VALUES ('prov/steps', 'wg', 'wi', NULL, '[]', '2030-01-01T00:01:00Z',
          '2030-01-01T00:01:00Z', '2030-01-02T00:00:00Z');`,
    async check(db, at) {
      assert.deepEqual(await rows(db, 'SELECT * FROM task_groups'), [
        {
          task_group_id: 'GROUP3',
          scheduler_id: 'steps',
          expires: T('2031-01-01T00:00:00Z'),
          sealed: null,
        },
      ]);
      await checkTask(db, 'TASK3RUNNING');
      await checkTask(db, 'TASK3PENDING');
      // 0004 records the queue of every started run, and only of those.
      // 0012 numbers replicas; runs from before it are ordinary runs, without one.
      const queueOf = (started: boolean): object => ({
        ...(at >= 4 ? { task_queue_id: started ? 'prov/steps' : null } : {}),
        ...(at >= 12 ? { replica: null } : {}),
      });
      assert.deepEqual(
        await rows(
          db,
          `SELECT * FROM task_runs WHERE task_id IN ('TASK3RUNNING', 'TASK3PENDING')
            ORDER BY task_id DESC`,
        ),
        [
          {
            task_id: 'TASK3RUNNING',
            run_id: 0,
            state: 'running',
            reason_created: 'scheduled',
            reason_resolved: null,
            worker_group: 'wg',
            worker_id: 'wi',
            taken_until: T('2030-01-01T00:20:00Z'),
            scheduled: T('2030-01-01T00:00:00Z'),
            started: T('2030-01-01T00:01:00Z'),
            resolved: null,
            ...queueOf(true),
          },
          {
            task_id: 'TASK3PENDING',
            run_id: 0,
            state: 'pending',
            reason_created: 'scheduled',
            reason_resolved: null,
            worker_group: null,
            worker_id: null,
            taken_until: null,
            scheduled: T('2030-01-01T00:00:00Z'),
            started: null,
            resolved: null,
            ...queueOf(false),
          },
        ],
      );
      assert.deepEqual(
        await rows(db, 'SELECT task_id, run_id, task_queue_id, priority, seq FROM pending_tasks'),
        [
          {
            task_id: 'TASK3PENDING',
            run_id: 0,
            task_queue_id: 'prov/steps',
            priority: 3,
            seq: '1',
          },
        ],
      );
      assert.deepEqual(await rows(db, 'SELECT * FROM task_dependencies'), [
        {
          dependent_task_id: 'TASK3PENDING',
          required_task_id: 'TASK3RUNNING',
          requires: 'all-completed',
          satisfied: false,
          expires: T('2031-01-01T00:00:00Z'),
        },
      ]);
      // 0004 adds recent_tasks, empty for the workers that were there.
      assert.deepEqual(await rows(db, `SELECT * FROM queue_workers WHERE worker_id = 'wi'`), [
        {
          task_queue_id: 'prov/steps',
          worker_group: 'wg',
          worker_id: 'wi',
          quarantine_until: null,
          quarantine_details: [],
          first_claim: T('2030-01-01T00:01:00Z'),
          last_date_active: T('2030-01-01T00:01:00Z'),
          expires: T('2030-01-02T00:00:00Z'),
          ...(at >= 4 ? { recent_tasks: [] } : {}),
        },
      ]);
    },
  },
  {
    version: 4,
    insert: `
      INSERT INTO task_queues VALUES ('prov/steps', '2031-01-01T00:00:00Z',
        '2030-01-01T00:01:00Z', 'the steps queue', 'stable');
      INSERT INTO queue_workers VALUES ('prov/steps', 'wg', 'wi4', '2030-06-01T00:00:00Z',
        '[{"reason":"flaky"}]', '2030-01-01T00:00:00Z', '2030-01-01T00:00:00Z',
        '2030-01-02T00:00:00Z', '[{"taskId":"TASK3RUNNING","runId":0}]');`,
    async check(db) {
      assert.deepEqual(await rows(db, 'SELECT * FROM task_queues'), [
        {
          task_queue_id: 'prov/steps',
          expires: T('2031-01-01T00:00:00Z'),
          last_date_active: T('2030-01-01T00:01:00Z'),
          description: 'the steps queue',
          stability: 'stable',
        },
      ]);
      assert.deepEqual(
        await rows(
          db,
          `SELECT quarantine_until, quarantine_details, recent_tasks FROM queue_workers WHERE worker_id = 'wi4'`,
        ),
        [
          {
            quarantine_until: T('2030-06-01T00:00:00Z'),
            quarantine_details: [{ reason: 'flaky' }],
            recent_tasks: [{ taskId: 'TASK3RUNNING', runId: 0 }],
          },
        ],
      );
    },
  },
  {
    version: 5,
    insert: `
      INSERT INTO blobs VALUES ('${SHA}', 3, '2030-01-01T00:00:00Z');
      INSERT INTO artifacts (task_id, run_id, name, storage_type, content_type, details, present,
          expires, content_length, created, upload_finished, blob_sha256)
        VALUES ('TASK3RUNNING', 0, 'public/build.tar', 'object', 'application/x-tar', '{}', true,
          '2031-01-01T00:00:00Z', 3, '2030-01-01T00:00:00Z', true, '${SHA}'),
               ('TASK3RUNNING', 0, 'public/ref', 'reference', 'text/plain',
          '{"url":"https://example.com/x"}', true, '2031-01-01T00:00:00Z', NULL,
          '2030-01-01T00:00:00Z', false, NULL);`,
    async check(db) {
      assert.deepEqual(await rows(db, 'SELECT * FROM blobs'), [
        { sha256: SHA, size: '3', created: T('2030-01-01T00:00:00Z') },
      ]);
      assert.deepEqual(
        await rows(
          db,
          `SELECT name, storage_type, details, present, content_length, upload_finished, blob_sha256
             FROM artifacts WHERE name IN ('public/build.tar', 'public/ref') ORDER BY name`,
        ),
        [
          {
            name: 'public/build.tar',
            storage_type: 'object',
            details: {},
            present: true,
            content_length: '3',
            upload_finished: true,
            blob_sha256: SHA,
          },
          {
            name: 'public/ref',
            storage_type: 'reference',
            details: { url: 'https://example.com/x' },
            present: true,
            content_length: null,
            upload_finished: false,
            blob_sha256: null,
          },
        ],
      );
    },
  },
  {
    // 0006 changes nothing (its work moved to 0007); a resolved run stands for its version.
    version: 6,
    insert: `
      ${taskSql('TASK6')}
      INSERT INTO task_runs (task_id, run_id, state, reason_created, reason_resolved,
          worker_group, worker_id, taken_until, scheduled, started, resolved, task_queue_id)
        VALUES ('TASK6', 0, 'completed', 'scheduled', 'completed', 'wg', 'wi',
          '2030-01-01T00:20:00Z', '2030-01-01T00:00:00Z', '2030-01-01T00:01:00Z',
          '2030-01-01T00:02:00Z', 'prov/steps');`,
    async check(db) {
      await checkTask(db, 'TASK6');
      assert.deepEqual(
        await rows(
          db,
          `SELECT state, reason_resolved, resolved, task_queue_id FROM task_runs WHERE task_id = 'TASK6'`,
        ),
        [
          {
            state: 'completed',
            reason_resolved: 'completed',
            resolved: T('2030-01-01T00:02:00Z'),
            task_queue_id: 'prov/steps',
          },
        ],
      );
    },
  },
  {
    // From 0007 on, writing a task or a run also notifies; the rows are as before.
    version: 7,
    insert: `${taskSql('TASK7')}
      INSERT INTO task_runs (task_id, run_id, state, reason_created, scheduled)
        VALUES ('TASK7', 0, 'pending', 'scheduled', '2030-01-01T00:00:00Z');
      UPDATE task_runs SET state = 'exception', reason_resolved = 'canceled',
          resolved = '2030-01-01T00:03:00Z'
        WHERE task_id = 'TASK7';`,
    async check(db) {
      await checkTask(db, 'TASK7');
      assert.deepEqual(
        await rows(db, `SELECT state, reason_resolved FROM task_runs WHERE task_id = 'TASK7'`),
        [{ state: 'exception', reason_resolved: 'canceled' }],
      );
    },
  },
  {
    version: 8,
    insert: `
      INSERT INTO live_logs VALUES ('TASK3RUNNING', 0, 5, false, '2030-01-01T00:02:00Z');
      INSERT INTO live_log_chunks VALUES ('TASK3RUNNING', 0, 0, '\\x68656c6c6f');`,
    async check(db) {
      assert.deepEqual(await rows(db, 'SELECT * FROM live_logs'), [
        {
          task_id: 'TASK3RUNNING',
          run_id: 0,
          size: '5',
          closed: false,
          updated: T('2030-01-01T00:02:00Z'),
        },
      ]);
      assert.deepEqual(await rows(db, 'SELECT * FROM live_log_chunks'), [
        { task_id: 'TASK3RUNNING', run_id: 0, offset: '0', data: Buffer.from('hello') },
      ]);
    },
  },
  {
    version: 9,
    insert: `INSERT INTO audit_pending (at, entity_type, entity_id, action, client_id, details)
      VALUES ('2030-01-01T00:04:00Z', 'role', 'steps/role', 'updated', 'root', '{"n":1}');`,
    async check(db) {
      assert.deepEqual(await rows(db, 'SELECT * FROM audit_pending'), [
        {
          id: '1',
          at: T('2030-01-01T00:04:00Z'),
          entity_type: 'role',
          entity_id: 'steps/role',
          action: 'updated',
          client_id: 'root',
          details: { n: 1 },
        },
      ]);
    },
  },
  {
    version: 10,
    insert: `INSERT INTO artifacts (task_id, run_id, name, storage_type, content_type, details,
        present, expires, created)
      VALUES ('TASK3RUNNING', 0, 'public/logs/live.log', 'link', 'text/plain',
        '{"artifact":"public/logs/live_backing.log"}', true, '2031-01-01T00:00:00Z',
        '2030-01-01T00:05:00Z');`,
    async check(db) {
      assert.deepEqual(
        await rows(
          db,
          `SELECT storage_type, details FROM artifacts WHERE name = 'public/logs/live.log'`,
        ),
        [{ storage_type: 'link', details: { artifact: 'public/logs/live_backing.log' } }],
      );
    },
  },
  {
    version: 11,
    insert: `INSERT INTO hawk_nonces VALUES (1893456001, 'steps/client', 'nonce-11');`,
    async check(db) {
      assert.deepEqual(await rows(db, `SELECT nonce FROM hawk_nonces ORDER BY nonce`), [
        { nonce: 'nonce-1' },
        { nonce: 'nonce-11' },
      ]);
    },
  },
  quorumStep,
  provenanceStep,
  identityProvidersStep,
  signingKeyDisableStep,
];
