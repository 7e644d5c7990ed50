import { strict as assert } from 'node:assert';
import { PROVENANCE_MIGRATION_VERSION } from './0013-provenance.js';
import { rows, SEALED, T, type Step } from './version-step.js';

/** versions.test.ts's step for 0013 (provenance keys, the provenance waiting list, signing keys). */
export const provenanceStep: Step = {
  version: PROVENANCE_MIGRATION_VERSION,
  insert: `
      INSERT INTO provenance_keys VALUES (repeat('c', 64), 'PEM', '${JSON.stringify(SEALED)}',
        '2030-01-01T00:06:00Z', NULL);
      INSERT INTO provenance_pending VALUES ('TASK3RUNNING', 0, '2030-01-01T00:07:00Z');
      INSERT INTO signing_keys VALUES ('release', 'r', '0123456789abcdef', 'RWQ=',
        '${JSON.stringify(SEALED)}', '{"minLevel":3}', '2030-01-01T00:08:00Z');`,
  async check(db) {
    const [key] = await rows(db, 'SELECT * FROM provenance_keys');
    const [pending] = await rows(db, 'SELECT * FROM provenance_pending');
    const [signing] = await rows(db, 'SELECT key_id, policy, created FROM signing_keys');
    assert.deepEqual(
      { key, pending, signing },
      {
        key: {
          key_id: 'c'.repeat(64),
          public_key_pem: 'PEM',
          sealed_private_key: SEALED,
          created: T('2030-01-01T00:06:00Z'),
          retired: null,
        },
        pending: { task_id: 'TASK3RUNNING', run_id: 0, enqueued: T('2030-01-01T00:07:00Z') },
        signing: { key_id: 'release', policy: { minLevel: 3 }, created: T('2030-01-01T00:08:00Z') },
      },
    );
  },
};
