import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import { inOneHour, startTestPlatform, type TestPlatform } from './harness.js';

let platform: TestPlatform;
let rootAuth: any;
const authAs = (credentials: object, extra: object = {}): any =>
  new taskcluster.Auth({ rootUrl: platform.rootUrl, credentials, retries: 0, ...extra });

before(async () => {
  platform = await startTestPlatform();
  rootAuth = authAs({ clientId: platform.root.clientId, accessToken: platform.root.accessToken });
});
after(() => platform.close());

test('ping answers without credentials', async () => {
  const res = await fetch(`${platform.rootUrl}/api/auth/v1/ping`);
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { alive: boolean }).alive, true);
});

test('createClient returns a 44-character token once; the client authenticates with it', async () => {
  const created = await rootAuth.createClient('project/alice', {
    description: 'alice',
    expires: inOneHour(),
    scopes: ['auth:current-scopes', 'project:alice:*'],
  });
  assert.match(created.accessToken, /^[A-Za-z0-9_-]{44}$/);
  assert.deepEqual(created.scopes, ['auth:current-scopes', 'project:alice:*']);
  const fetched = await rootAuth.client('project/alice');
  assert.equal(fetched.accessToken, undefined);
  assert.equal(fetched.clientId, 'project/alice');

  const alice = authAs({ clientId: 'project/alice', accessToken: created.accessToken });
  const { scopes } = await alice.currentScopes();
  assert.ok(scopes.includes('project:alice:*'));
  assert.ok(scopes.includes('auth:current-scopes'));
});

test('createClient twice conflicts (409)', async () => {
  await rootAuth.createClient('dup', { description: 'x', expires: inOneHour() });
  await assert.rejects(rootAuth.createClient('dup', { description: 'y', expires: inOneHour() }), {
    statusCode: 409,
    code: 'RequestConflict',
  });
});

test('listClients filters by prefix and paginates', async () => {
  for (const n of ['a', 'b', 'c']) {
    await rootAuth.createClient(`list/${n}`, { description: n, expires: inOneHour() });
  }
  const page1 = await rootAuth.listClients({ prefix: 'list/', limit: 2 });
  assert.deepEqual(
    page1.clients.map((c: any) => c.clientId),
    ['list/a', 'list/b'],
  );
  const page2 = await rootAuth.listClients({
    prefix: 'list/',
    limit: 2,
    continuationToken: page1.continuationToken,
  });
  assert.deepEqual(
    page2.clients.map((c: any) => c.clientId),
    ['list/c'],
  );
  // 'AA' decodes to U+0000: a token no list ever issued is the caller's error.
  for (const continuationToken of ['AA', 'not-ours!']) {
    await assert.rejects(rootAuth.listClients({ continuationToken }), {
      statusCode: 400,
      code: 'InvalidRequestArguments',
    });
    await assert.rejects(rootAuth.listRoleIds({ continuationToken }), { statusCode: 400 });
  }
});

test('disable, enable, reset and delete take effect immediately', async () => {
  const { accessToken } = await rootAuth.createClient('life', {
    description: 'x',
    expires: inOneHour(),
    scopes: ['auth:current-scopes'],
  });
  const life = authAs({ clientId: 'life', accessToken });
  await life.currentScopes();

  await rootAuth.disableClient('life');
  await assert.rejects(life.currentScopes(), { statusCode: 401 });
  await rootAuth.enableClient('life');
  await life.currentScopes();

  const reset = await rootAuth.resetAccessToken('life');
  assert.notEqual(reset.accessToken, accessToken);
  await assert.rejects(life.currentScopes(), { statusCode: 401 });
  await authAs({ clientId: 'life', accessToken: reset.accessToken }).currentScopes();

  await rootAuth.deleteClient('life');
  await rootAuth.deleteClient('life'); // idempotent
  await assert.rejects(rootAuth.client('life'), { statusCode: 404, code: 'ResourceNotFound' });
});

test('an expired client cannot authenticate', async () => {
  const { accessToken } = await rootAuth.createClient('expired', {
    description: 'x',
    expires: new Date(Date.now() - 1000),
    scopes: ['auth:current-scopes'],
  });
  await assert.rejects(authAs({ clientId: 'expired', accessToken }).currentScopes(), {
    statusCode: 401,
    code: 'AuthenticationFailed',
  });
});

test('S4: static and login: clients and `**` scopes are refused with InputError', async () => {
  await assert.rejects(
    rootAuth.createClient('static/evil', { description: 'x', expires: inOneHour() }),
    {
      statusCode: 400,
      code: 'InputError',
    },
  );
  // A permanent client cannot pose as a person's sign-in (D37).
  await assert.rejects(
    rootAuth.createClient('login:corp/alice/AAAAAAAAAAAAAAAAAAAAAA', {
      description: 'x',
      expires: inOneHour(),
    }),
    { statusCode: 400, code: 'InputError' },
  );
  await assert.rejects(rootAuth.resetAccessToken('static/root'), {
    statusCode: 400,
    code: 'InputError',
  });
  await assert.rejects(
    rootAuth.createClient('stars', { description: 'x', expires: inOneHour(), scopes: ['a:**'] }),
    { statusCode: 400, code: 'InputError' },
  );
});

test('bad input is a 4xx with a code and changes nothing', async () => {
  await assert.rejects(rootAuth.createClient('bad', { description: 'x' }), {
    statusCode: 400,
    code: 'InputValidationError',
  });
  await assert.rejects(
    rootAuth.createClient('bad', { description: 'x', expires: inOneHour(), extra: 1 }),
    { statusCode: 400, code: 'InputValidationError' },
  );
  await assert.rejects(rootAuth.client('bad client id with spaces'), {
    statusCode: 400,
    code: 'InvalidRequestArguments',
  });
  await assert.rejects(rootAuth.client('bad'), { statusCode: 404 });
});

test('S4: createClient and updateClient cannot grant scopes the caller lacks', async () => {
  const { accessToken } = await rootAuth.createClient('manager', {
    description: 'can create clients, holds only project:x:*',
    expires: inOneHour(),
    scopes: ['auth:create-client:managed/*', 'auth:update-client:managed/*', 'project:x:*'],
  });
  const manager = authAs({ clientId: 'manager', accessToken });
  await manager.createClient('managed/ok', {
    description: 'x',
    expires: inOneHour(),
    scopes: ['project:x:build'],
  });
  await assert.rejects(
    manager.createClient('managed/evil', { description: 'x', expires: inOneHour(), scopes: ['*'] }),
    (err: any) => {
      assert.equal(err.statusCode, 403);
      assert.equal(err.code, 'InsufficientScopes');
      assert.match(err.message, /\*/);
      return true;
    },
  );
  await assert.rejects(
    manager.updateClient('managed/ok', {
      description: 'x',
      expires: inOneHour(),
      scopes: ['project:x:build', 'auth:create-client:*'],
    }),
    { statusCode: 403, code: 'InsufficientScopes' },
  );
  // Keeping an existing scope while changing others is allowed.
  await manager.updateClient('managed/ok', {
    description: 'changed',
    expires: inOneHour(),
    scopes: ['project:x:build'],
  });
  await assert.rejects(rootAuth.client('managed/evil'), { statusCode: 404 });
});

test('unauthenticated callers get 403 InsufficientScopes, bad signatures 401', async () => {
  await assert.rejects(
    new taskcluster.Auth({ rootUrl: platform.rootUrl, retries: 0 }).listClients(),
    {
      statusCode: 403,
      code: 'InsufficientScopes',
    },
  );
  await assert.rejects(
    authAs({ clientId: platform.root.clientId, accessToken: 'x'.repeat(44) }).listClients(),
    {
      statusCode: 401,
      code: 'AuthenticationFailed',
    },
  );
  await assert.rejects(authAs({ clientId: 'nobody', accessToken: 'x'.repeat(44) }).listClients(), {
    statusCode: 401,
  });
});

test('an update naming the lastModified it read is refused (409) when the record changed since, and changes nothing', async () => {
  await rootAuth.createClient('project/edited', {
    description: 'first',
    expires: inOneHour(),
    scopes: ['a:b'],
  });
  const read = await rootAuth.client('project/edited');
  // Someone else changes it in between.
  await new Promise((r) => setTimeout(r, 5));
  await rootAuth.updateClient('project/edited', {
    description: 'theirs',
    expires: read.expires,
    scopes: ['a:b', 'c:d'],
  });
  await assert.rejects(
    rootAuth.updateClient('project/edited', {
      description: 'mine',
      expires: read.expires,
      scopes: read.scopes,
      lastModified: read.lastModified,
    }),
    { statusCode: 409, code: 'RequestConflict' },
  );
  const after = await rootAuth.client('project/edited');
  assert.equal(after.description, 'theirs');
  assert.deepEqual(after.scopes, ['a:b', 'c:d']);
  // With the current version it applies.
  const updated = await rootAuth.updateClient('project/edited', {
    description: 'mine',
    expires: after.expires,
    scopes: after.scopes,
    lastModified: after.lastModified,
  });
  assert.equal(updated.description, 'mine');

  await rootAuth.createRole('project:edited', { description: 'r', scopes: ['x:1'] });
  const role = await rootAuth.role('project:edited');
  await new Promise((r) => setTimeout(r, 5));
  await rootAuth.updateRole('project:edited', { description: 'theirs', scopes: ['x:1'] });
  await assert.rejects(
    rootAuth.updateRole('project:edited', {
      description: 'mine',
      scopes: ['x:2'],
      lastModified: role.lastModified,
    }),
    { statusCode: 409 },
  );
  assert.deepEqual((await rootAuth.role('project:edited')).scopes, ['x:1']);
});
