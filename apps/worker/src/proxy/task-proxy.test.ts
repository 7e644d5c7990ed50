import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import pino from 'pino';
import taskcluster from 'taskcluster-client';
import { startTestPlatform, type TestPlatform } from '@bulwark/server/testing';
import { rawRequest } from '../test/raw-request.js';
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
let proxyPort: number;
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
  const scopesA = ['secrets:get:proj/x', 'auth:create-client:proxy-made/*'];
  await queue.createTask(taskA, definition(scopesA));
  await queue.createTask(taskB, definition([]));
  const claimed = await queue.claimWork(QUEUE, { workerGroup: 'g', workerId: 'w', tasks: 2 });
  const runA = claimed.tasks.find((t: { status: { taskId: string } }) => t.status.taskId === taskA);
  credentialsA = runA.credentials as RunCredentials;
  proxy = new TaskProxy({
    rootUrl,
    credentials: credentialsA,
    authorizedScopes: [...scopesA, `queue:create-artifact:${taskA}/0`],
    onSecretValue: (value) => maskedValues.push(value),
    logger: pino({ level: 'silent' }),
  });
  proxyUrl = await proxy.listen({ port: 0 });
  proxyPort = Number(new URL(proxyUrl).port);
});

after(async () => {
  await proxy.close();
  await running.stop();
});

const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${proxyUrl}${path}`, { headers });

/** No member of `value`, however deep, is a credential or names one. */
function assertNoCredentialFields(value: unknown, where: string): void {
  const text = JSON.stringify(value);
  assert.doesNotMatch(text, /accessToken|"certificate"|"signature"|"seed"/i, where);
}

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
});

/**
 * S2, S12, S15: the spellings of the red-team finding and more. Each one is sent byte
 * for byte; it is either refused with a 4xx before anything is forwarded, or it
 * reached the control plane as the very path the proxy checked, and then a secret in
 * the answer was registered for masking before the task got it.
 */
const HOSTILE_SPELLINGS = [
  '/api/secrets/v1/%73ecret/proj%2Fx',
  '/api/%73ecrets/v1/secret/proj%2Fx',
  '/api/secrets/v1/secret/%70roj%2Fx',
  '/api/secrets/v1/secret/proj%2fx',
  '/api/auth/v1/%2e%2e/%2e%2e/secrets/v1/secret/proj%2Fx',
  '/api/auth/v1/%2E%2E/%2E%2E/secrets/v1/secret/proj%2Fx',
  '/api/auth/v1/%252e%252e/%252e%252e/secrets/v1/secret/proj%2Fx',
  '/api/secrets/v1/secret/proj%252Fx',
  '/api/auth/v1/../../secrets/v1/secret/proj%2Fx',
  '/api/auth/v1/./../../secrets/v1/secret/proj%2Fx',
  '/api/secrets/v1/secret/..%2f',
  '/api/secrets/v1/secret/..%2F',
  '/api/secrets/v1/secret/other%2F..%2Fproj%2Fx',
  '/api/auth/v1\\..\\..\\secrets/v1/secret/proj%2Fx',
  '/api/auth/v1/%5C..%5C..%5Csecrets/v1/secret/proj%2Fx',
  '/api/secrets/v1/secret//proj%2Fx',
  '//api/secrets/v1/secret/proj%2Fx',
  '/api/secrets/v1//secret/proj%2Fx',
  '/api/secrets/v1/secret/proj%2F%2Fx',
  '/api/secrets/v1/secret/%C0%AE%C0%AE%2Fproj%2Fx',
  '/api/secrets/v1/secret/proj%00x',
  '/api/secrets/v1/secret/proj%2Fx%00',
  'http://127.0.0.1/api/secrets/v1/secret/proj%2Fx',
  '/api/secrets/v1/SECRET/proj%2Fx',
  '/api/secrets/v1/secret/proj%2Fx/',
  '/api/secrets/v1/secret/proj%2Fx%23',
  '/api/secrets/v1/secret/proj%2Fx?x=%2e%2e',
];

test('S2, S12, S15: every spelling of a path is refused with a 4xx or checked and forwarded as one', async () => {
  const accepted: string[] = [];
  for (const target of HOSTILE_SPELLINGS) {
    maskedValues.length = 0;
    const answer = await rawRequest(proxyPort, target);
    assert.ok(answer.status >= 200 && answer.status < 500, `${target}: ${answer.status}`);
    if (answer.body.includes(PASSWORD)) {
      assert.ok(maskedValues.includes(PASSWORD), `${target} fetched the secret unmasked`);
      accepted.push(target);
    }
    if (answer.status === 400) {
      const body = JSON.parse(answer.body) as { code: string };
      assert.equal(body.code, 'InvalidRequestArguments', target);
    }
  }
  // The finding's spellings never reach the secret; the canonical one with a query does.
  assert.deepEqual(accepted, ['/api/secrets/v1/secret/proj%2Fx?x=%2e%2e']);
  // The proxy itself refuses the finding's spellings, with its reason.
  for (const [target, reason] of [
    ['/api/secrets/v1/%73ecret/proj%2Fx', 'encoded-unreserved-character'],
    ['/api/auth/v1/%2e%2e/%2e%2e/secrets/v1/secret/proj%2Fx', 'lower-case-percent-encoding'],
    ['/api/auth/v1/%2E%2E/%2E%2E/secrets/v1/secret/proj%2Fx', 'encoded-unreserved-character'],
    ['/api/auth/v1/%252e%252e/%252e%252e/secrets/v1/secret/proj%2Fx', 'double-encoding'],
    ['/api/auth/v1\\..\\..\\secrets/v1/secret/proj%2Fx', 'backslash'],
    ['/api/secrets/v1/secret/..%2F', 'dot-segment'],
    ['/api/secrets/v1/secret//proj%2Fx', 'empty-segment'],
    ['/api/secrets/v1/secret/%C0%AE%C0%AE%2Fproj%2Fx', 'encoded-control-or-non-ascii'],
    ['http://127.0.0.1/api/secrets/v1/secret/proj%2Fx', 'absolute-form'],
  ]) {
    const answer = await rawRequest(proxyPort, target as string);
    assert.equal(answer.status, 400, target);
    assert.equal((JSON.parse(answer.body) as { reason: string }).reason, reason, target);
  }
});

test('S15: a secret fetched by any accepted spelling is registered for masking first', async () => {
  for (const target of [
    '/api/secrets/v1/secret/proj%2Fx',
    '/api/secrets/v1/secret/proj/x',
    '/api/secrets/v1/secret/proj%2Fx?unused=1',
  ]) {
    maskedValues.length = 0;
    const answer = await rawRequest(proxyPort, target);
    assert.equal(answer.status, 200, target);
    assert.ok(answer.body.includes(PASSWORD), target);
    assert.ok(maskedValues.includes(PASSWORD), target);
  }
});

test('only /api/<service>/v<n>/ paths are forwarded', async () => {
  for (const path of ['/', '/other', '/api/AUTH/v1/ping']) {
    assert.equal((await get(path)).status, 404, path);
  }
  assert.equal((await get('/api/auth/v1/ping')).status, 200);
});

test('S2: the published client uploads object artifacts through the proxy and never holds a token', async () => {
  const queue = new taskcluster.Queue({ rootUrl: proxyUrl, retries: 0 });
  const expires = new Date(Date.now() + 1800_000);
  // Below 8 KiB the client sends the data inline; above, it PUTs to an upload URL.
  for (const [name, size] of [
    ['public/through-proxy/small.txt', 100],
    ['public/through-proxy/large.bin', 100_000],
  ] as const) {
    const data = Buffer.alloc(size, name.length);
    const created = await queue.createArtifact(taskA, 0, name, {
      storageType: 'object',
      expires: expires.toJSON(),
      contentType: 'application/octet-stream',
      contentLength: size,
    });
    assertNoCredentialFields(created, 'createArtifact');
    assert.deepEqual(created.credentials, {});
    await taskcluster.upload({
      projectId: created.projectId,
      name: created.name,
      contentType: 'application/octet-stream',
      contentLength: size,
      expires: new Date(created.expires),
      uploadId: created.uploadId,
      object: new taskcluster.Object({
        rootUrl: proxyUrl,
        credentials: created.credentials,
        retries: 0,
      }),
      streamFactory: async () => Readable.from([data]),
      retries: 0,
    });
    await queue.finishArtifact(taskA, 0, name, { uploadId: created.uploadId });
    const reader = new taskcluster.Queue({ rootUrl, credentials: root });
    const url = reader.buildSignedUrl(reader.getArtifact, taskA, 0, name);
    const stored = await fetch(url, { redirect: 'follow' });
    assert.equal(stored.status, 200, name);
    assert.ok(Buffer.from(await stored.arrayBuffer()).equals(data), name);
  }
});

test('S2: the upload URL the task gets is a handle on the proxy, spent after use', async () => {
  const queue = new taskcluster.Queue({ rootUrl: proxyUrl, retries: 0 });
  const object = new taskcluster.Object({ rootUrl: proxyUrl, retries: 0 });
  const name = 'public/through-proxy/handle.bin';
  const expires = new Date(Date.now() + 1800_000).toJSON();
  const data = Buffer.alloc(20_000, 7);
  const created = await queue.createArtifact(taskA, 0, name, {
    storageType: 'object',
    expires,
    contentType: 'application/octet-stream',
    contentLength: data.length,
  });
  const upload = await object.createUpload(created.name, {
    projectId: created.projectId,
    uploadId: created.uploadId,
    expires: created.expires,
    proposedUploadMethods: {
      putUrl: { contentType: 'application/octet-stream', contentLength: data.length },
    },
  });
  const putUrl = new URL(upload.uploadMethod.putUrl.url as string);
  assert.equal(putUrl.origin, proxyUrl, 'the URL points at the proxy, not the control plane');
  const put = () =>
    fetch(putUrl, { method: 'PUT', headers: upload.uploadMethod.putUrl.headers, body: data });
  assert.equal((await put()).status, 200);
  // Spent: a second use is refused by the proxy; a made-up handle too.
  assert.equal((await put()).status, 404);
  const forged = new URL(`/api/object/v1/upload-data/${'A'.repeat(43)}`, proxyUrl);
  assert.equal((await fetch(forged, { method: 'PUT', body: data })).status, 404);
  await object.finishUpload(created.name, {
    projectId: created.projectId,
    uploadId: created.uploadId,
  });
  await queue.finishArtifact(taskA, 0, name, { uploadId: created.uploadId });

  // An `s3` artifact's one-time URL is swapped for a handle the same way.
  const s3Name = 'public/through-proxy/s3.bin';
  const s3 = await queue.createArtifact(taskA, 0, s3Name, {
    storageType: 's3',
    expires,
    contentType: 'application/octet-stream',
    contentLength: data.length,
  });
  const s3Url = new URL(s3.putUrl as string);
  assert.equal(s3Url.origin, proxyUrl);
  const s3Put = await fetch(s3Url, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: data,
  });
  assert.equal(s3Put.status, 200);
  const reader = new taskcluster.Queue({ rootUrl, credentials: root });
  const stored = await fetch(reader.buildSignedUrl(reader.getArtifact, taskA, 0, s3Name));
  assert.ok(Buffer.from(await stored.arrayBuffer()).equals(data));
});

test('S2: an access token the control plane answers with never reaches the task', async () => {
  // The task may create clients under proxy-made/; the answer's accessToken is withheld.
  const auth = new taskcluster.Auth({ rootUrl: proxyUrl, retries: 0 });
  const created = await auth.createClient('proxy-made/one', {
    description: 'made through a task proxy',
    expires: new Date(Date.now() + 3600_000).toJSON(),
    scopes: [],
  });
  assert.equal(created.clientId, 'proxy-made/one');
  assert.equal(created.accessToken, undefined);
  assertNoCredentialFields(created, 'createClient');
  const rootAuth = new taskcluster.Auth({ rootUrl, credentials: root });
  assert.equal((await rootAuth.client('proxy-made/one')).clientId, 'proxy-made/one');
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
