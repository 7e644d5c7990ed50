import { strict as assert } from 'node:assert';
import { identityProviderTables } from './0014-identity-providers.js';
import { rows, SEALED, type Step } from './version-step.js';

/** versions.test.ts's step for 0014 (identity providers and sign-in sessions). */
export const identityProvidersStep: Step = {
  version: identityProviderTables.version,
  insert: `
    INSERT INTO identity_providers VALUES ('corp', '{"issuer":"https://idp.example"}',
      '${JSON.stringify(SEALED)}', '2030-01-01T00:06:00Z', '2030-01-01T00:06:00Z');
    INSERT INTO login_sessions VALUES ('${'S'.repeat(22)}', 'login:corp/alice/${'S'.repeat(22)}',
      'corp', 'alice', '2030-01-01T08:00:00Z', NULL, '2030-01-01T00:06:00Z');`,
  async check(db) {
    assert.deepEqual(await rows(db, 'SELECT name, config FROM identity_providers'), [
      { name: 'corp', config: { issuer: 'https://idp.example' } },
    ]);
    assert.deepEqual(await rows(db, 'SELECT subject, revoked FROM login_sessions'), [
      { subject: 'alice', revoked: null },
    ]);
  },
};
