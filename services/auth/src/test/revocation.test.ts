import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import { inOneHour, startTestPlatform, type TestPlatform } from './harness.js';

let platform: TestPlatform;
const revoked = new Set<string>();
let lookups: string[] = [];

before(async () => {
  platform = await startTestPlatform({
    isRevoked: async (clientId) => {
      lookups.push(clientId);
      return Promise.resolve(revoked.has(clientId));
    },
  });
});
after(() => platform.close());

test('S3: named credentials stop working the moment they are revoked, before they expire', async () => {
  const credentials = taskcluster.createTemporaryCredentials({
    clientId: 'task-client/abc/0/on/g/w/until/1',
    expiry: inOneHour(),
    scopes: ['auth:current-scopes'],
    credentials: platform.root,
  });
  const auth = new taskcluster.Auth({ rootUrl: platform.rootUrl, credentials, retries: 0 });
  await auth.currentScopes();
  revoked.add('task-client/abc/0/on/g/w/until/1');
  await assert.rejects(auth.currentScopes(), { statusCode: 401, code: 'AuthenticationFailed' });
});

test('S3: the revocation check runs only for requests whose signature verified', async () => {
  lookups = [];
  const forged = new taskcluster.Auth({
    rootUrl: platform.rootUrl,
    credentials: { clientId: platform.root.clientId, accessToken: 'x'.repeat(44) },
    retries: 0,
  });
  await assert.rejects(forged.currentScopes(), { statusCode: 401 });
  assert.deepEqual(lookups, []);
});
