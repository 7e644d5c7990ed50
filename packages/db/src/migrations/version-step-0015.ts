import { strict as assert } from 'node:assert';
import { signingKeyDisable } from './0015-signing-key-disable.js';
import { rows, type Step } from './version-step.js';

/** versions.test.ts's step for 0015 (disabling a signing key): the key of 0013 stays enabled. */
export const signingKeyDisableStep: Step = {
  version: signingKeyDisable.version,
  insert: `UPDATE signing_keys SET disabled = '2030-01-01T00:09:00Z', disabled_by = 'steps/admin'
      WHERE key_id = 'none-such';`,
  async check(db) {
    assert.deepEqual(await rows(db, 'SELECT key_id, disabled, disabled_by FROM signing_keys'), [
      { key_id: 'release', disabled: null, disabled_by: null },
    ]);
  },
};
