import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import { purgeExpiredClients } from '../domain/maintenance.js';
import { inOneHour, startTestPlatform, type TestPlatform } from './harness.js';

let a: TestPlatform;
let b: TestPlatform;
const client = (platform: TestPlatform, credentials: object): any =>
  new taskcluster.Auth({ rootUrl: platform.rootUrl, credentials, retries: 0 });

before(async () => {
  a = await startTestPlatform();
  b = await startTestPlatform({ replicaOf: a });
});
after(async () => {
  await b.close();
  await a.close();
});

/** Polls until `check` stops throwing; NOTIFY is asynchronous but prompt. */
async function eventually(check: () => Promise<void>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

test('a client created on one replica authenticates on another', async () => {
  const { accessToken } = await client(a, a.root).createClient('replicated', {
    description: 'x',
    expires: inOneHour(),
    scopes: ['auth:current-scopes'],
  });
  const onB = client(b, { clientId: 'replicated', accessToken });
  assert.ok((await onB.currentScopes()).scopes.includes('auth:current-scopes'));
});

test('disabling a client on one replica takes effect on the other through NOTIFY', async () => {
  const { accessToken } = await client(a, a.root).createClient('to-disable', {
    description: 'x',
    expires: inOneHour(),
    scopes: ['auth:current-scopes'],
  });
  const onB = client(b, { clientId: 'to-disable', accessToken });
  await onB.currentScopes();
  await client(a, a.root).disableClient('to-disable');
  await eventually(() =>
    assert.rejects(onB.currentScopes(), { statusCode: 401 }).then(() => undefined),
  );
});

test('a role change on one replica reaches the other replica’s expansion', async () => {
  const { accessToken } = await client(a, a.root).createClient('role-user', {
    description: 'x',
    expires: inOneHour(),
    scopes: ['auth:current-scopes', 'assume:team:replica'],
  });
  const onB = client(b, { clientId: 'role-user', accessToken });
  await onB.currentScopes();
  await client(a, a.root).createRole('team:replica', {
    description: 'x',
    scopes: ['replica:deploy'],
  });
  await eventually(async () => {
    assert.ok((await onB.currentScopes()).scopes.includes('replica:deploy'));
  });
});

test('lastDateUsed is recorded at most every six hours', async () => {
  const { accessToken } = await client(a, a.root).createClient('used', {
    description: 'x',
    expires: inOneHour(),
    scopes: ['auth:current-scopes'],
  });
  const longAgo = new Date(Date.now() - 7 * 60 * 60 * 1000);
  await a.auth.context.pool.query('UPDATE clients SET last_date_used = $1 WHERE client_id = $2', [
    longAgo,
    'used',
  ]);
  await b.auth.context.store.reloadClient('used');
  await client(b, { clientId: 'used', accessToken }).currentScopes();
  await eventually(async () => {
    const row = await client(a, a.root).client('used');
    assert.ok(new Date(row.lastDateUsed).getTime() > longAgo.getTime() + 60 * 60 * 1000);
  });
});

test('expired clients marked deleteOnExpiration are purged, with an audit record', async () => {
  const root = client(a, a.root);
  await root.createClient('ephemeral', {
    description: 'x',
    expires: new Date(Date.now() - 1000),
    deleteOnExpiration: true,
  });
  await root.createClient('kept', { description: 'x', expires: new Date(Date.now() - 1000) });
  assert.equal(await purgeExpiredClients(a.auth.context), 1);
  await assert.rejects(root.client('ephemeral'), { statusCode: 404 });
  assert.equal((await root.client('kept')).clientId, 'kept');
  const history = await root.getEntityHistory('client', 'ephemeral');
  assert.deepEqual(
    history.auditHistory.map((h: any) => [h.action, h.clientId]),
    [
      ['created', a.root.clientId],
      ['expired', 'system'],
    ],
  );
});
