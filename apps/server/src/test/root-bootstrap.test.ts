import { strict as assert } from 'node:assert';
import { readFile, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import type { Platform } from '../platform.js';
import { splitDeployment, type SplitDeployment } from './split.js';

// Several auth replicas on one external database, each with its own data directory.
let deployment: SplitDeployment;
let firstRoot: { clientId: string; accessToken: string };
before(async () => {
  deployment = await splitDeployment();
});
after(() => deployment.stop());

const readRoot = async (platform: Platform): Promise<{ clientId: string; accessToken: string }> =>
  JSON.parse(await readFile(platform.rootCredentialsPath, 'utf8'));

const scopesOf = async (platform: Platform, credentials: unknown): Promise<string[]> => {
  const auth = new taskcluster.Auth({ rootUrl: platform.rootUrl, credentials, retries: 0 });
  return (await auth.currentScopes()).scopes;
};

test('auth replicas started together create one root client between them', async () => {
  const replicas = await Promise.all([deployment.start('auth'), deployment.start('auth,secrets')]);
  const states = replicas.map((r) => r.rootCredentials).sort();
  assert.deepEqual(states, ['created', 'elsewhere']);
  const creator = replicas.find((r) => r.rootCredentials === 'created')!;
  const other = replicas.find((r) => r.rootCredentials === 'elsewhere')!;
  await assert.rejects(stat(other.rootCredentialsPath), { code: 'ENOENT' });
  firstRoot = await readRoot(creator);
  // Its token works on every replica.
  for (const replica of replicas) assert.deepEqual(await scopesOf(replica, firstRoot), ['*']);
});

test('a later auth replica leaves the root token alone; --reset-root-credentials replaces it', async () => {
  const later = await deployment.start('all');
  assert.equal(later.rootCredentials, 'elsewhere');
  assert.deepEqual(await scopesOf(later, firstRoot), ['*']);

  const reset = await deployment.start('auth', { resetRootCredentials: true });
  assert.equal(reset.rootCredentials, 'created');
  const fresh = await readRoot(reset);
  assert.notEqual(fresh.accessToken, firstRoot.accessToken);
  // The other replicas learn of the new token through NOTIFY.
  await eventually(async () => assert.deepEqual(await scopesOf(later, fresh), ['*']));
  await eventually(() => assert.rejects(scopesOf(later, firstRoot), { statusCode: 401 }));
});

async function eventually(check: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}
