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

const SECRET_VALUE = 'sandboxed-secret-value-8613';

/** Sends each request target byte for byte (fetch would normalize them) and prints the answer. */
const SPELLINGS_SCRIPT = (targets: string[]): string => `
const net = require('net');
const { port } = new URL(process.env.TASKCLUSTER_PROXY_URL);
const targets = ${JSON.stringify(targets)};
const ask = (target) => new Promise((resolve) => {
  const socket = net.connect(Number(port), '127.0.0.1');
  let text = '';
  socket.setTimeout(10000, () => socket.destroy());
  socket.on('data', (d) => { text += d; });
  socket.on('close', () => resolve(text));
  socket.on('error', () => resolve(text));
  socket.write('GET ' + target + ' HTTP/1.1\\r\\nhost: 127.0.0.1:' + port + '\\r\\nconnection: close\\r\\n\\r\\n');
});
(async () => {
  for (const target of targets) {
    const answer = await ask(target);
    const body = answer.slice(answer.indexOf('\\r\\n\\r\\n') + 4).replace(/\\r?\\n/g, ' ');
    console.log('TARGET', JSON.stringify(target), answer.split('\\r\\n')[0], body);
  }
})();
`;

test('S15, S2, S12: a secret fetched by any spelling the proxy accepts is masked in the task’s log', async () => {
  const secrets = new taskcluster.Secrets({
    rootUrl: sandboxed.rootUrl,
    credentials: sandboxed.root,
  });
  await secrets.set('pxu/masked', {
    secret: { value: SECRET_VALUE },
    expires: new Date(Date.now() + 3600_000).toJSON(),
  });
  // The hostile spellings first: a secret they fetched would not be known to the
  // masker yet (the red-team finding printed it in clear this way).
  const accepted = [
    '/api/secrets/v1/secret/pxu%2Fmasked',
    '/api/secrets/v1/secret/pxu/masked',
    '/api/secrets/v1/secret/pxu%2Fmasked?x=1',
  ];
  const refused = [
    '/api/secrets/v1/%73ecret/pxu%2Fmasked',
    '/api/%73ecrets/v1/secret/pxu%2Fmasked',
    '/api/auth/v1/%2e%2e/%2e%2e/secrets/v1/secret/pxu%2Fmasked',
    '/api/auth/v1/%2E%2E/%2E%2E/secrets/v1/secret/pxu%2Fmasked',
    '/api/auth/v1/%252e%252e/%252e%252e/secrets/v1/secret/pxu%2Fmasked',
    '/api/auth/v1\\..\\..\\secrets/v1/secret/pxu%2Fmasked',
    '/api/secrets/v1/secret//pxu%2Fmasked',
    '/api/secrets/v1/secret/..%2fpxu%2Fmasked',
    '/api/secrets/v1/secret/%C0%AE%C0%AE%2Fpxu%2Fmasked',
  ];
  const targets = [...refused, ...accepted];
  const taskId = await sandboxed.createTask(
    {
      command: ['/usr/bin/node', '-e', SPELLINGS_SCRIPT(targets)],
      features: { taskclusterProxy: true },
    },
    ['secrets:get:pxu/masked'],
  );
  const { state } = await sandboxed.waitForResolution(taskId);
  const log = await (await fetchArtifact(taskId, 'public/logs/live.log')).text();
  assert.equal(state, 'completed', log);
  assert.ok(!log.includes(SECRET_VALUE), 'a secret value is in the log in clear');
  const lines = log.split('\n').filter((line) => line.startsWith('TARGET '));
  assert.equal(lines.length, targets.length, log);
  for (const [index, line] of lines.entries()) {
    if (index < refused.length) {
      assert.match(line, /HTTP\/1\.1 400 .*InvalidRequestArguments/, line);
    } else {
      // Accepted: the secret reached the task, and its log shows it masked.
      assert.match(line, /HTTP\/1\.1 200 .*"secret":\[secret\]/, line);
    }
  }
});
