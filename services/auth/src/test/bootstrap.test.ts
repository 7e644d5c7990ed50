import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import { ensureStaticClient } from '../domain/bootstrap.js';
import { startTestPlatform, type TestPlatform } from './harness.js';

let a: TestPlatform;
let b: TestPlatform;
before(async () => {
  a = await startTestPlatform();
  b = await startTestPlatform({ replicaOf: a });
});
after(async () => {
  await b.close();
  await a.close();
});

test('replicas starting together agree on one static client token', async () => {
  const [tokenA, tokenB] = await Promise.all([
    ensureStaticClient(a.auth.context, 'static/bulwark/test-service', ['queue:*'], 'test'),
    ensureStaticClient(b.auth.context, 'static/bulwark/test-service', ['queue:*'], 'test'),
  ]);
  assert.equal(tokenA, tokenB);
  const again = await ensureStaticClient(
    a.auth.context,
    'static/bulwark/test-service',
    ['queue:*'],
    'test',
  );
  assert.equal(again, tokenA);
  const auth = new taskcluster.Auth({
    rootUrl: a.rootUrl,
    credentials: { clientId: 'static/bulwark/test-service', accessToken: tokenA },
    retries: 0,
  });
  await assert.rejects(auth.currentScopes(), { statusCode: 403 });
});

test('a static client’s scopes follow the deployment, with an audit record', async () => {
  await ensureStaticClient(
    a.auth.context,
    'static/bulwark/test-service',
    ['auth:current-scopes'],
    'test',
  );
  const root = new taskcluster.Auth({ rootUrl: a.rootUrl, credentials: a.root, retries: 0 });
  assert.deepEqual((await root.client('static/bulwark/test-service')).scopes, [
    'auth:current-scopes',
  ]);
  const history = await root.getEntityHistory('client', 'static/bulwark/test-service');
  assert.deepEqual(
    history.auditHistory.map((h: any) => h.action),
    ['created', 'updated'],
  );
  await assert.rejects(ensureStaticClient(a.auth.context, 'not-static', [], 'x'), /static\//);
});
