import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import pino from 'pino';
import taskcluster from 'taskcluster-client';
import { startTestPlatform, type TestPlatform } from '@bulwark/server/testing';
import { TaskProxy } from './task-proxy.js';
import type { RunCredentials } from './run-credentials.js';

const QUEUE = 'proj-proxy/test';
const PASSWORD = 'proxy-test-password-4711';
let running: TestPlatform;
let rootUrl: string;
let root: { clientId: string; accessToken: string };
let taskA: string;
let taskB: string;
let credentialsA: RunCredentials;
let proxy: TaskProxy;
let proxyUrl: string;
const maskedValues: string[] = [];

function definition(scopes: string[]): Record<string, unknown> {
  const now = Date.now();
  return {
    taskQueueId: QUEUE,
    created: new Date(now).toJSON(),
    deadline: new Date(now + 3600_000).toJSON(),
    scopes,
    payload: {},
    metadata: { name: 't', description: 'd', owner: 'o@example.com', source: 'https://x/' },
  };
}

before(async () => {
  running = await startTestPlatform();
  rootUrl = running.platform.rootUrl;
  root = JSON.parse(await readFile(running.platform.rootCredentialsPath, 'utf8')) as typeof root;
  const secrets = new taskcluster.Secrets({ rootUrl, credentials: root });
  const expires = new Date(Date.now() + 3600_000).toJSON();
  await secrets.set('proj/x', { secret: { password: PASSWORD }, expires });
  await secrets.set('other/y', { secret: { password: 'not-for-this-task' }, expires });
  const queue = new taskcluster.Queue({ rootUrl, credentials: root });
  taskA = taskcluster.slugid();
  taskB = taskcluster.slugid();
  await queue.createTask(taskA, definition(['secrets:get:proj/x']));
  await queue.createTask(taskB, definition([]));
  const claimed = await queue.claimWork(QUEUE, { workerGroup: 'g', workerId: 'w', tasks: 2 });
  const runA = claimed.tasks.find((t: { status: { taskId: string } }) => t.status.taskId === taskA);
  credentialsA = runA.credentials as RunCredentials;
  proxy = new TaskProxy({
    rootUrl,
    credentials: credentialsA,
    authorizedScopes: ['secrets:get:proj/x', `queue:create-artifact:${taskA}/0`],
    onSecretValue: (value) => maskedValues.push(value),
    logger: pino({ level: 'silent' }),
  });
  proxyUrl = await proxy.listen({ port: 0 });
});

after(async () => {
  await proxy.close();
  await running.stop();
});

const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${proxyUrl}${path}`, { headers });

test('S2: the task reaches the API through the proxy with no credential of its own', async () => {
  const res = await get('/api/secrets/v1/secret/proj%2Fx');
  assert.equal(res.status, 200);
  const body = (await res.json()) as { secret: { password: string } };
  assert.equal(body.secret.password, PASSWORD);
  // The value was handed to the log masker before the task received it (S15).
  assert.ok(maskedValues.includes(PASSWORD));
});

test('S2: an Authorization header the task sends is replaced, not forwarded', async () => {
  // Forwarded as is, this forged header would fail with 401; replaced, the request succeeds.
  const res = await get('/api/secrets/v1/secret/proj%2Fx', {
    authorization: `Hawk id="${root.clientId}", ts="1", nonce="x", mac="forged"`,
  });
  assert.equal(res.status, 200);
});

test('S2, S5: the proxy cannot exceed the task’s scopes, resolve its own run, or touch another task', async () => {
  assert.equal((await get('/api/secrets/v1/secret/other%2Fy')).status, 403);
  for (const path of [
    `/api/queue/v1/task/${taskA}/runs/0/completed`,
    `/api/queue/v1/task/${taskB}/runs/0/completed`,
  ]) {
    const res = await fetch(`${proxyUrl}${path}`, { method: 'POST' });
    assert.equal(res.status, 403, path);
  }
  const artifact = await fetch(
    `${proxyUrl}/api/queue/v1/task/${taskB}/runs/0/artifacts/public%2Fx`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        storageType: 'error',
        reason: 'file-missing-on-worker',
        message: 'm',
        expires: new Date(Date.now() + 3600_000).toJSON(),
      }),
    },
  );
  assert.ok([403, 404].includes(artifact.status), String(artifact.status));
  assert.notEqual(artifact.status, 200);
});

test('only /api/<service>/v<n>/ paths are forwarded', async () => {
  for (const path of [
    '/',
    '/api/auth/v1/../../x',
    '/api/../auth/v1/ping',
    '/other',
    '/api/AUTH/v1/ping',
  ]) {
    assert.equal((await get(path)).status, 404, path);
  }
  assert.equal((await get('/api/auth/v1/ping')).status, 200);
});

test('S3: once the run resolves, the proxy refuses and the control plane rejects its credentials', async () => {
  const workerQueue = new taskcluster.Queue({ rootUrl, credentials: credentialsA });
  await workerQueue.reportCompleted(taskA, 0);
  // A proxy not yet told still finds the credentials dead upstream.
  const late = await get('/api/secrets/v1/secret/proj%2Fx');
  assert.equal(late.status, 401);
  proxy.revoke();
  const refused = await get('/api/secrets/v1/secret/proj%2Fx');
  assert.equal(refused.status, 403);
  assert.equal(((await refused.json()) as { code: string }).code, 'RunResolved');
  proxy.updateCredentials(credentialsA);
  assert.equal((await get('/api/auth/v1/ping')).status, 403, 'revocation is final');
});
