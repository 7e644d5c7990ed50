import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import pino from 'pino';
import taskcluster from 'taskcluster-client';
import { startTestPlatform, type TestPlatform } from '@bulwark/server/testing';
import { createWorkerQueue } from '../daemon/queue-api.js';
import type { Resolution } from '../daemon/task-run.js';
import { Worker } from '../daemon/worker.js';
import type { WorkerConfig } from '../daemon/worker-config.js';
import { detectCgroupVersion, TaskCgroup } from '../sandbox/cgroup.js';
import { SandboxEngine } from '../sandbox/sandbox-engine.js';

const QUEUE_ID = 'proj-e2e/sandboxed';
const PREFIX = `bulwark-e2e${process.pid}`;
let running: TestPlatform;
let rootUrl: string;
let root: { clientId: string; accessToken: string };
let dataDir: string;
let worker: Worker;
const resolutions = new Map<string, Resolution>();

before(async () => {
  running = await startTestPlatform();
  rootUrl = running.platform.rootUrl;
  root = JSON.parse(await readFile(running.platform.rootCredentialsPath, 'utf8')) as typeof root;
  const auth = new taskcluster.Auth({ rootUrl, credentials: root });
  // The worker's own client: its pool's claim-work and its own worker-id, nothing else (S5).
  const { accessToken } = await auth.createClient('worker/e2e', {
    description: 'e2e worker',
    expires: new Date(Date.now() + 3600_000).toJSON(),
    scopes: [`queue:claim-work:${QUEUE_ID}`, 'queue:worker-id:e2e/w1'],
  });
  dataDir = await mkdtemp(join(tmpdir(), 'bulwark-worker-e2e-'));
  await chmod(dataDir, 0o711);
  const config: WorkerConfig = {
    rootUrl,
    taskQueueId: QUEUE_ID,
    workerGroup: 'e2e',
    workerId: 'w1',
    capacity: 2,
    engine: 'sandbox',
    isolated: true,
    limits: {
      maxRunTime: 60,
      max: { memoryMB: 512, pids: 128, cpus: 1 },
      defaults: { memoryMB: 256, pids: 64, cpus: 1 },
      networkAllow: [],
    },
    dataDir,
    credentialsFile: '(in memory)',
    shutdownGraceSeconds: 5,
  };
  const engine = new SandboxEngine({
    cgroupVersion: await detectCgroupVersion(),
    prefix: PREFIX,
    uid: 61000,
    gid: 61000,
  });
  const queue = createWorkerQueue({
    rootUrl,
    credentials: { clientId: 'worker/e2e', accessToken },
    workerGroup: 'e2e',
    workerId: 'w1',
  });
  worker = new Worker(config, queue, engine, pino({ level: 'silent' }), (claim, resolution) =>
    resolutions.set(claim.taskId, resolution),
  );
  worker.start();
});

after(async () => {
  await worker.stop(0);
  await running.stop();
  for (const leftover of await TaskCgroup.findLeftovers(await detectCgroupVersion(), PREFIX))
    await leftover.destroy();
  await rm(dataDir, { recursive: true, force: true });
});

async function createTask(payload: unknown, scopes: string[] = []): Promise<string> {
  const queue = new taskcluster.Queue({ rootUrl, credentials: root });
  const taskId = taskcluster.slugid();
  await queue.createTask(taskId, {
    taskQueueId: QUEUE_ID,
    created: new Date().toJSON(),
    deadline: new Date(Date.now() + 3600_000).toJSON(),
    scopes,
    payload,
    metadata: {
      name: 'e2e',
      description: 'e2e',
      owner: 'e2e@example.com',
      source: 'https://example.com/',
    },
  });
  return taskId;
}

async function waitForResolution(
  taskId: string,
): Promise<{ resolution: Resolution; state: string; reason: string }> {
  const queue = new taskcluster.Queue({ rootUrl, credentials: root });
  for (let i = 0; i < 300; i++) {
    const resolution = resolutions.get(taskId);
    if (resolution) {
      const { status } = await queue.status(taskId);
      const run = status.runs[status.runs.length - 1];
      return { resolution, state: status.state, reason: run.reasonResolved };
    }
    await sleep(100);
  }
  throw new Error(`task ${taskId} did not resolve`);
}

test('a task runs in the sandbox and resolves completed; a failing one resolves failed', async () => {
  const ok = await createTask({
    command: ['/bin/sh', '-c', 'echo hello > out.txt && cat out.txt'],
  });
  const bad = await createTask({
    command: [
      ['/bin/sh', '-c', 'echo first'],
      ['/bin/sh', '-c', 'exit 2'],
    ],
  });
  assert.deepEqual(await waitForResolution(ok), {
    resolution: { kind: 'completed' },
    state: 'completed',
    reason: 'completed',
  });
  assert.deepEqual(await waitForResolution(bad), {
    resolution: { kind: 'failed' },
    state: 'failed',
    reason: 'failed',
  });
});

test('S2: through its proxy a task reads the secret its scopes allow, and nothing more', async () => {
  const secrets = new taskcluster.Secrets({ rootUrl, credentials: root });
  const expires = new Date(Date.now() + 3600_000).toJSON();
  await secrets.set('e2e/allowed', { secret: { value: 'allowed-value' }, expires });
  await secrets.set('e2e/other', { secret: { value: 'other-value' }, expires });
  const script = [
    'const base = process.env.TASKCLUSTER_PROXY_URL;',
    'const get = (n) => fetch(`${base}/api/secrets/v1/secret/${encodeURIComponent(n)}`).then((r) => r.status);',
    'Promise.all([get("e2e/allowed"), get("e2e/other")]).then(([a, b]) => process.exit(a === 200 && b === 403 && !process.env.TASKCLUSTER_ACCESS_TOKEN ? 0 : 1));',
  ].join(' ');
  const taskId = await createTask(
    { command: ['/usr/bin/node', '-e', script], features: { taskclusterProxy: true } },
    ['secrets:get:e2e/allowed'],
  );
  const { state } = await waitForResolution(taskId);
  assert.equal(state, 'completed');
});

test('a payload that breaks the schema or the pool limits resolves malformed-payload', async () => {
  const taskId = await createTask({ command: ['true'], resources: { memoryMB: 100_000 } });
  const { state, reason } = await waitForResolution(taskId);
  assert.equal(state, 'exception');
  assert.equal(reason, 'malformed-payload');
});

test('S2: other users of the worker host cannot reach a running task’s proxy socket', async () => {
  const taskId = await createTask({
    command: ['/bin/sh', '-c', 'sleep 2'],
    features: { taskclusterProxy: true },
  });
  const socket = await (async () => {
    for (let i = 0; i < 100; i++) {
      const runs = await readdir(join(dataDir, 'runs')).catch(() => [] as string[]);
      const run = runs.find((name) => name.startsWith(taskId));
      if (run) {
        const path = join(dataDir, 'runs', run, 'proxy', 'proxy.sock');
        if (await stat(path).catch(() => undefined)) return path;
      }
      await sleep(50);
    }
    throw new Error('the proxy socket never appeared');
  })();
  const probe = spawnSync(
    'setpriv',
    [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      '/usr/bin/python3',
      '-c',
      `import socket; socket.socket(socket.AF_UNIX).connect(${JSON.stringify(socket)})`,
    ],
    { encoding: 'utf8' },
  );
  assert.notEqual(probe.status, 0, 'another user connected to the proxy');
  assert.match(probe.stderr, /Permission denied/);
  assert.equal((await waitForResolution(taskId)).state, 'completed');
});
