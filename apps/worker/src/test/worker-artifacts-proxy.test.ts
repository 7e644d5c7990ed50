import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import { startSandboxedWorker, type SandboxedWorker } from './sandboxed-worker.js';

let sandboxed: SandboxedWorker;
let queue: InstanceType<typeof taskcluster.Queue>;

before(async () => {
  sandboxed = await startSandboxedWorker('pxu');
  queue = new taskcluster.Queue({ rootUrl: sandboxed.rootUrl, credentials: sandboxed.root });
});

after(() => sandboxed.stop());

async function fetchArtifact(taskId: string, name: string): Promise<Response> {
  const url = queue.buildSignedUrl(queue.getArtifact, taskId, 0, name);
  return fetch(url, { redirect: 'follow' });
}

const SIZE = 50_000;

/**
 * The task's side, plain HTTP through TASKCLUSTER_PROXY_URL, as hostile as it gets
 * short of breaking the sandbox: it prints its environment and every answer it
 * receives to its (public) log, and keeps them all in `received.json`, which the
 * worker uploads as an artifact (artifacts are not masked: they show what the task
 * really held). Then it uploads an object artifact the way taskcluster-client does:
 * createArtifact, the object API's createUpload with a PUT URL, the PUT,
 * finishUpload with the digest, finishArtifact.
 */
const TASK_SCRIPT = `
const fs = require('fs');
const crypto = require('crypto');
const base = process.env.TASKCLUSTER_PROXY_URL;
const received = { env: process.env, answers: [] };
const keep = () => fs.writeFileSync('received.json', JSON.stringify(received));
async function call(method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  console.log('ANSWER', method, res.status, text);
  received.answers.push({ method, path, status: res.status, text });
  if (!res.ok) throw new Error(method + ' ' + res.status);
  return text ? JSON.parse(text) : {};
}
(async () => {
  console.log('ENV', JSON.stringify(process.env));
  const data = Buffer.alloc(${SIZE}, 'b');
  const name = 'public/from-task.bin';
  const artifact = '/api/queue/v1/task/' + process.env.TASK_ID + '/runs/' + process.env.RUN_ID +
    '/artifacts/' + encodeURIComponent(name);
  const created = await call('POST', artifact, {
    storageType: 'object', contentType: 'application/octet-stream', contentLength: data.length,
    expires: new Date(Date.now() + 3600e3).toJSON(),
  });
  const object = encodeURIComponent(created.name);
  const ids = { projectId: created.projectId, uploadId: created.uploadId };
  const upload = await call('PUT', '/api/object/v1/upload/' + object, {
    ...ids, expires: created.expires,
    proposedUploadMethods: { putUrl: { contentType: 'application/octet-stream', contentLength: data.length } },
  });
  const put = await fetch(upload.uploadMethod.putUrl.url, {
    method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: data,
  });
  console.log('PUT', put.status);
  if (!put.ok) throw new Error('PUT ' + put.status);
  const sha256 = crypto.createHash('sha256').update(data).digest('hex');
  await call('POST', '/api/object/v1/finish-upload/' + object, { ...ids, hashes: { sha256 } });
  await call('PUT', artifact, { uploadId: created.uploadId });
  keep();
})().catch((err) => { console.error('FAILED', err.message); keep(); process.exit(1); });
`;

test('S2, S1: a sandboxed task uploads an object artifact through its proxy and never holds a token', async () => {
  const taskId = await sandboxed.createTask({
    command: ['/usr/bin/node', '-e', TASK_SCRIPT],
    features: { taskclusterProxy: true },
    artifacts: [{ type: 'file', path: 'received.json', name: 'public/received.json' }],
  });
  const { state } = await sandboxed.waitForResolution(taskId);
  const log = await (await fetchArtifact(taskId, 'public/logs/live.log')).text();
  assert.equal(state, 'completed', log);

  // The upload worked: the data is there, whole.
  const uploaded = await fetchArtifact(taskId, 'public/from-task.bin');
  assert.equal(uploaded.status, 200);
  assert.ok(Buffer.from(await uploaded.arrayBuffer()).equals(Buffer.alloc(SIZE, 'b')));
  assert.match(log, /^ANSWER POST 200 .*"credentials":\{\}/m);
  assert.match(log, /^PUT 200$/m);

  // What the task held: its environment and every answer, unmasked.
  const received = (await (await fetchArtifact(taskId, 'public/received.json')).json()) as {
    env: Record<string, string>;
    answers: { text: string }[];
  };
  assert.equal(received.answers.length, 4);
  const run = sandboxed.runCredentials(taskId);
  assert.ok(run, 'the worker held run credentials');
  const held = JSON.stringify(received);
  assert.ok(!held.includes(run.accessToken), 'the task held the run’s access token');
  const certificate = JSON.parse(run.certificate ?? '{}') as { signature?: string };
  assert.ok(!held.includes(certificate.signature ?? '\u0000'), 'the task held a certificate');
  for (const name of Object.keys(received.env)) {
    assert.doesNotMatch(name, /^TASKCLUSTER_(ACCESS_TOKEN|CLIENT_ID|CERTIFICATE)$/, name);
  }
  // No answer handed it any credential (createArtifact's upload credentials included),
  // nor the control plane's one-time upload URL: only a handle on its own proxy.
  for (const { text } of received.answers) {
    assert.doesNotMatch(text, /accessToken|certificate|"signature"|"seed"/i, text);
    assert.doesNotMatch(text, new RegExp(sandboxed.rootUrl.replace(/[.:/]/g, '\\$&')), text);
  }
  assert.doesNotMatch(log, /accessToken|"certificate"|\\"certificate\\"/i);
});
