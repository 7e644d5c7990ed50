import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import pino from 'pino';
import taskcluster from 'taskcluster-client';
import { startTestPlatform, type TestPlatform } from '@bulwark/server/testing';
import { prepareDataDir } from '../daemon/data-dir.js';
import { createWorkerQueue } from '../daemon/queue-api.js';
import type { Resolution } from '../daemon/task-run.js';
import { Worker } from '../daemon/worker.js';
import type { WorkerConfig } from '../daemon/worker-config.js';
import { detectCgroupVersion, TaskCgroup } from '../sandbox/cgroup.js';
import { SandboxEngine } from '../sandbox/sandbox-engine.js';

// Short claims, so that reclaims happen within the test: every 2 s.
const CLAIM_TIMEOUT_SECONDS = 4;
const PREFIX = `bulwark-life${process.pid}`;
let running: TestPlatform;
let rootUrl: string;
let root: { clientId: string; accessToken: string };
let dataDir: string;
let engine: SandboxEngine;
let workerToken: string;
let queueSeq = 0;

before(async () => {
  running = await startTestPlatform({ claimTimeoutSeconds: CLAIM_TIMEOUT_SECONDS });
  rootUrl = running.platform.rootUrl;
  root = JSON.parse(await readFile(running.platform.rootCredentialsPath, 'utf8')) as typeof root;
  const auth = new taskcluster.Auth({ rootUrl, credentials: root });
  workerToken = (
    await auth.createClient('worker/life', {
      description: 'lifecycle worker',
      expires: new Date(Date.now() + 3600_000).toJSON(),
      scopes: ['queue:claim-work:proj-life/*', 'queue:worker-id:life/*'],
    })
  ).accessToken;
  dataDir = await mkdtemp(join(tmpdir(), 'bulwark-worker-life-'));
  // As the worker makes it: the sandbox user's group may pass through, nobody else (S11).
  await prepareDataDir(dataDir, 61000);
  engine = new SandboxEngine({
    cgroupVersion: await detectCgroupVersion(),
    prefix: PREFIX,
    uid: 61000,
    gid: 61000,
  });
});

after(async () => {
  await running.stop();
  for (const leftover of await TaskCgroup.findLeftovers(await detectCgroupVersion(), PREFIX))
    await leftover.destroy();
  await rm(dataDir, { recursive: true, force: true });
});

/** A worker on a queue of its own, so the tests cannot take each other's tasks. */
function startWorker(): {
  worker: Worker;
  taskQueueId: string;
  resolutions: Map<string, Resolution>;
} {
  const taskQueueId = `proj-life/q${++queueSeq}`;
  const workerId = `w${queueSeq}`;
  const config: WorkerConfig = {
    rootUrl,
    taskQueueId,
    workerGroup: 'life',
    workerId,
    capacity: 1,
    engine: 'sandbox',
    isolated: true,
    limits: {
      maxRunTime: 60,
      max: { memoryMB: 256, pids: 64, cpus: 1 },
      defaults: { memoryMB: 128, pids: 32, cpus: 1 },
      networkAllow: [],
    },
    dataDir,
    credentialsFile: '(in memory)',
    shutdownGraceSeconds: 0,
  };
  const queue = createWorkerQueue({
    rootUrl,
    credentials: { clientId: 'worker/life', accessToken: workerToken },
    workerGroup: 'life',
    workerId,
  });
  const resolutions = new Map<string, Resolution>();
  const worker = new Worker(config, queue, engine, pino({ level: 'silent' }), (claim, r) =>
    resolutions.set(claim.taskId, r),
  );
  worker.start();
  return { worker, taskQueueId, resolutions };
}

async function createTask(taskQueueId: string, command: string): Promise<string> {
  const taskId = taskcluster.slugid();
  await new taskcluster.Queue({ rootUrl, credentials: root }).createTask(taskId, {
    taskQueueId,
    created: new Date().toJSON(),
    deadline: new Date(Date.now() + 3600_000).toJSON(),
    payload: { command: ['/bin/sh', '-c', command] },
    metadata: {
      name: 'life',
      description: 'life',
      owner: 'life@example.com',
      source: 'https://example.com/',
    },
  });
  return taskId;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  seconds = 30,
): Promise<T> {
  for (let i = 0; i < seconds * 10; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const status = async (
  taskId: string,
): Promise<{
  state: string;
  runs: { state: string; reasonResolved?: string; reasonCreated: string }[];
}> => (await new taskcluster.Queue({ rootUrl, credentials: root }).status(taskId)).status;

test('S3: a task running longer than its claim is reclaimed and completes', async () => {
  const { worker, taskQueueId, resolutions } = startWorker();
  try {
    const taskId = await createTask(taskQueueId, `sleep ${CLAIM_TIMEOUT_SECONDS + 3}`);
    const resolution = await until('the task to resolve', async () => resolutions.get(taskId));
    assert.deepEqual(resolution, { kind: 'completed' });
    const { runs } = await status(taskId);
    assert.equal(runs.length, 1, 'no claim expired, so no retry run');
    assert.equal(runs[0]?.state, 'completed');
  } finally {
    await worker.stop();
  }
});

test('a canceled task is stopped at its next reclaim and not reported', async () => {
  const { worker, taskQueueId, resolutions } = startWorker();
  try {
    const taskId = await createTask(taskQueueId, 'sleep 60');
    await until('the task to run', async () =>
      (await status(taskId)).state === 'running' ? true : undefined,
    );
    await new taskcluster.Queue({ rootUrl, credentials: root }).cancelTask(taskId);
    const resolution = await until('the worker to notice', async () => resolutions.get(taskId), 15);
    assert.equal(resolution.kind, 'lost');
    assert.equal((await status(taskId)).runs[0]?.reasonResolved, 'canceled');
  } finally {
    await worker.stop();
  }
});

test('stopping the worker resolves its running task worker-shutdown, and the queue retries it', async () => {
  const { worker, taskQueueId, resolutions } = startWorker();
  const taskId = await createTask(taskQueueId, 'sleep 60');
  await until('the task to run', async () =>
    (await status(taskId)).state === 'running' ? true : undefined,
  );
  await worker.stop(0);
  assert.deepEqual(resolutions.get(taskId), { kind: 'exception', reason: 'worker-shutdown' });
  const { runs } = await status(taskId);
  assert.equal(runs[0]?.reasonResolved, 'worker-shutdown');
  assert.equal(runs[1]?.reasonCreated, 'retry');
  assert.equal(runs[1]?.state, 'pending');
});
