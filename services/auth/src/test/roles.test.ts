import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import hawk from 'hawk';
import taskcluster from 'taskcluster-client';
import { inOneHour, startTestPlatform, type TestPlatform } from './harness.js';

let platform: TestPlatform;
let rootAuth: any;
const authAs = (credentials: object): any =>
  new taskcluster.Auth({ rootUrl: platform.rootUrl, credentials, retries: 0 });

before(async () => {
  platform = await startTestPlatform();
  rootAuth = authAs({ clientId: platform.root.clientId, accessToken: platform.root.accessToken });
});
after(() => platform.close());

test('roles expand through assume:, star role ids and <..> parameters', async () => {
  await rootAuth.createRole('project-admin:*', {
    description: 'per-project admin',
    scopes: ['secrets:get:project/<..>/*', 'assume:project:<..>'],
  });
  await rootAuth.createRole('project:zap', {
    description: 'zap',
    scopes: ['queue:create-task:zap'],
  });
  const { scopes } = await rootAuth.expandScopes({ scopes: ['assume:project-admin:zap'] });
  assert.deepEqual(scopes, [
    'assume:project-admin:zap',
    'assume:project:zap',
    'queue:create-task:zap',
    'secrets:get:project/zap/*',
  ]);
  const star = await rootAuth.expandScopes({ scopes: ['assume:project-admin:ops*'] });
  assert.ok(star.scopes.includes('secrets:get:project/ops*'));
});

test('a client holding assume: gets the role scopes, and role changes apply at once', async () => {
  await rootAuth.createRole('team:web', { description: 'web', scopes: ['web:deploy'] });
  const { accessToken } = await rootAuth.createClient('web-bot', {
    description: 'x',
    expires: inOneHour(),
    scopes: ['assume:team:web', 'auth:current-scopes'],
  });
  const bot = authAs({ clientId: 'web-bot', accessToken });
  assert.ok((await bot.currentScopes()).scopes.includes('web:deploy'));
  await rootAuth.updateRole('team:web', {
    description: 'web',
    scopes: ['web:deploy', 'web:rollback'],
  });
  assert.ok((await bot.currentScopes()).scopes.includes('web:rollback'));
  await rootAuth.deleteRole('team:web');
  await rootAuth.deleteRole('team:web'); // idempotent
  assert.ok(!(await bot.currentScopes()).scopes.includes('web:deploy'));
});

test('the anonymous role applies to every caller', async () => {
  await rootAuth.createRole('anonymous', {
    description: 'public',
    scopes: ['auth:get-role:public-*'],
  });
  await rootAuth.createRole('public-info', { description: 'x', scopes: ['a'] });
  const anonymous = new taskcluster.Auth({ rootUrl: platform.rootUrl, retries: 0 });
  assert.equal((await anonymous.role('public-info')).roleId, 'public-info');
  await assert.rejects(anonymous.role('project:zap'), { statusCode: 403 });
  await rootAuth.deleteRole('anonymous');
});

test('createRole is idempotent for identical input and conflicts otherwise', async () => {
  await rootAuth.createRole('idem', { description: 'd', scopes: ['x', 'y'] });
  await rootAuth.createRole('idem', { description: 'd', scopes: ['y', 'x'] });
  await assert.rejects(rootAuth.createRole('idem', { description: 'd', scopes: ['z'] }), {
    statusCode: 409,
    code: 'RequestConflict',
  });
});

test('cycles and malformed parameters are InputError, and change nothing', async () => {
  await rootAuth.createRole('cyc-a', { description: 'x', scopes: ['assume:cyc-b'] });
  await assert.rejects(
    rootAuth.createRole('cyc-b', { description: 'x', scopes: ['assume:cyc-a'] }),
    {
      statusCode: 400,
      code: 'InputError',
    },
  );
  await assert.rejects(rootAuth.role('cyc-b'), { statusCode: 404 });
  await assert.rejects(
    rootAuth.createRole('param:*', { description: 'x', scopes: ['a:<..>/<..>'] }),
    { statusCode: 400, code: 'InputError' },
  );
});

test('S4: createRole and updateRole cannot grant scopes the caller lacks', async () => {
  const { accessToken } = await rootAuth.createClient('role-manager', {
    description: 'x',
    expires: inOneHour(),
    scopes: ['auth:create-role:managed:*', 'auth:update-role:managed:*', 'build:*'],
  });
  const manager = authAs({ clientId: 'role-manager', accessToken });
  await manager.createRole('managed:ok', { description: 'x', scopes: ['build:linux'] });
  await assert.rejects(
    manager.createRole('managed:evil', { description: 'x', scopes: ['assume:project-admin:*'] }),
    {
      statusCode: 403,
      code: 'InsufficientScopes',
    },
  );
  await assert.rejects(
    manager.updateRole('managed:ok', {
      description: 'x',
      scopes: ['build:linux', 'secrets:get:*'],
    }),
    { statusCode: 403, code: 'InsufficientScopes' },
  );
  // A role whose id ends in * would hand its scopes to every matching assume: scope;
  // the caller still has to hold them.
  await assert.rejects(manager.createRole('managed:*', { description: 'x', scopes: ['*'] }), {
    statusCode: 403,
  });
});

test('listRoles2 and listRoleIds paginate', async () => {
  for (const n of ['p1', 'p2', 'p3'])
    await rootAuth.createRole(`page:${n}`, { description: n, scopes: [] });
  const all = await rootAuth.listRoleIds({ limit: 1000 });
  assert.ok(all.roleIds.includes('page:p2'));
  const first = await rootAuth.listRoles2({ limit: 1 });
  assert.equal(first.roles.length, 1);
  assert.ok(first.continuationToken);
  const second = await rootAuth.listRoles2({
    limit: 1,
    continuationToken: first.continuationToken,
  });
  assert.notEqual(second.roles[0].roleId, first.roles[0].roleId);
  assert.ok((await rootAuth.listRoles()).length >= 3);
});

test('S14: every change is in the hash-chained audit log, and the chain verifies', async () => {
  const history = await rootAuth.getEntityHistory('role', 'idem');
  assert.deepEqual(
    history.auditHistory.map((h: any) => h.action),
    ['created'],
  );
  assert.equal(history.auditHistory[0].clientId, platform.root.clientId);
  const mine = await rootAuth.listAuditHistory(platform.root.clientId);
  assert.ok(mine.auditHistory.length > 5);
  const res = await fetch(`${platform.rootUrl}/api/auth/v1/audit/verify`, {
    headers: { authorization: hawkHeaderFor(`${platform.rootUrl}/api/auth/v1/audit/verify`) },
  });
  const body = (await res.json()) as { ok: boolean; checked: number };
  assert.equal(body.ok, true);
  assert.ok(body.checked > 5);
});

test('S10: audit continuation tokens past a bigint are refused with a 400, not a 5xx', async () => {
  for (const path of [
    'audit/role/idem',
    `clients/${encodeURIComponent(platform.root.clientId)}/audit`,
  ]) {
    for (const token of ['9223372036854775808', '9999999999999999999']) {
      const url = `${platform.rootUrl}/api/auth/v1/${path}?continuationToken=${token}`;
      const res = await fetch(url, { headers: { authorization: hawkHeaderFor(url) } });
      assert.equal(res.status, 400, `${path} ${token}`);
      assert.equal(((await res.json()) as { code: string }).code, 'InvalidRequestArguments');
    }
  }
});

function hawkHeaderFor(url: string): string {
  // The published client has no method for this Bulwark endpoint; sign as it would.
  return hawk.client.header(url, 'GET', {
    credentials: {
      id: platform.root.clientId,
      key: platform.root.accessToken,
      algorithm: 'sha256',
    },
  }).header;
}
