import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import { inOneHour, startTestPlatform, type TestPlatform } from './harness.js';

let platform: TestPlatform;
before(async () => {
  platform = await startTestPlatform();
});
after(() => platform.close());

const loginName = 'login:corp/alice/AAAAAAAAAAAAAAAAAAAAAA';

test('S4: login credentials no sign-in issued are refused, even when validly signed', async () => {
  // The root may mint named credentials of any name; a `login:` name still needs a
  // session that a sign-in recorded, so nobody can pose as a person who never signed in.
  const credentials = taskcluster.createTemporaryCredentials({
    clientId: loginName,
    expiry: inOneHour(),
    scopes: ['auth:current-scopes'],
    credentials: platform.root,
  });
  const auth = new taskcluster.Auth({ rootUrl: platform.rootUrl, credentials, retries: 0 });
  await assert.rejects(auth.currentScopes(), { statusCode: 401, code: 'AuthenticationFailed' });
  // Any other name the root mints works as before: the check is for login names only.
  const other = taskcluster.createTemporaryCredentials({
    clientId: 'someone/else',
    expiry: inOneHour(),
    scopes: ['auth:current-scopes'],
    credentials: platform.root,
  });
  await new taskcluster.Auth({
    rootUrl: platform.rootUrl,
    credentials: other,
    retries: 0,
  }).currentScopes();
});

test('S4: a session recorded for one name does not admit another name with its id', async () => {
  const recorded = 'login:corp/alice/BBBBBBBBBBBBBBBBBBBBBB';
  await platform.auth.context.pool.query(
    `INSERT INTO login_sessions VALUES ($1, $2, 'corp', 'alice', now() + interval '1 hour', NULL, now())`,
    ['BBBBBBBBBBBBBBBBBBBBBB', recorded],
  );
  const as = (clientId: string) =>
    new taskcluster.Auth({
      rootUrl: platform.rootUrl,
      credentials: taskcluster.createTemporaryCredentials({
        clientId,
        expiry: inOneHour(),
        scopes: ['auth:current-scopes'],
        credentials: platform.root,
      }),
      retries: 0,
    });
  await as(recorded).currentScopes();
  await assert.rejects(as('login:corp/mallory/BBBBBBBBBBBBBBBBBBBBBB').currentScopes(), {
    statusCode: 401,
  });
  // ...and the owner's credentials keep working after the mismatched try.
  await as(recorded).currentScopes();
});
