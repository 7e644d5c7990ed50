import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import taskcluster from 'taskcluster-client';
import { startTestPlatform, type TestPlatform } from '@bulwark/server/testing';
import { prepareDataDir } from '../daemon/data-dir.js';
import { createWorkerQueue } from '../daemon/queue-api.js';
import type { Resolution } from '../daemon/task-run.js';
import { Worker } from '../daemon/worker.js';
import type { WorkerConfig } from '../daemon/worker-config.js';
import type { RunCredentials } from '../proxy/run-credentials.js';
import { detectCgroupVersion, TaskCgroup } from '../sandbox/cgroup.js';
import { SandboxEngine } from '../sandbox/sandbox-engine.js';
import { TaskDisks } from '../sandbox/disk-quota/task-disks.js';

export interface SandboxedWorker {
  rootUrl: string;
  root: { clientId: string; accessToken: string };
  dataDir: string;
  /** The worker's task disk, when it was started with one. */
  disk: TaskDisks | undefined;
  createTask: (payload: unknown, scopes?: string[]) => Promise<string>;
  waitForResolution: (
    taskId: string,
  ) => Promise<{ resolution: Resolution; state: string; reason: string }>;
  /** The credentials the worker held for a resolved task's run (never the task). */
  runCredentials: (taskId: string) => RunCredentials | undefined;
  stop: () => Promise<void>;
}

/**
 * A test platform and a real worker running the sandbox engine on one pool, with
 * credentials limited to that pool (S5). With `diskQuota`, its task directories are on
 * a task disk of its own, as a worker's are (S19): a 1 GB sparse image, tasks at 64 MB
 * unless they ask (256 MB at most). Everything is removed by stop().
 */
export async function startSandboxedWorker(
  name: string,
  options: { diskQuota?: boolean } = {},
): Promise<SandboxedWorker> {
  const queueId = `proj-${name}/sandboxed`;
  const prefix = `bulwark-${name}${process.pid}`;
  const running: TestPlatform = await startTestPlatform();
  const rootUrl = running.platform.rootUrl;
  const root = JSON.parse(await readFile(running.platform.rootCredentialsPath, 'utf8')) as {
    clientId: string;
    accessToken: string;
  };
  const auth = new taskcluster.Auth({ rootUrl, credentials: root });
  const { accessToken } = await auth.createClient(`worker/${name}`, {
    description: `${name} worker`,
    expires: new Date(Date.now() + 3600_000).toJSON(),
    scopes: [`queue:claim-work:${queueId}`, `queue:worker-id:${name}/w1`],
  });
  const dataDir = await mkdtemp(join(tmpdir(), `bulwark-worker-${name}-`));
  // As the worker makes it: the sandbox user's group may pass through, nobody else (S11).
  await prepareDataDir(dataDir, 61000);
  const config: WorkerConfig = {
    rootUrl,
    taskQueueId: queueId,
    workerGroup: name,
    workerId: 'w1',
    capacity: 2,
    engine: 'sandbox',
    isolated: true,
    limits: {
      maxRunTime: 60,
      max: { memoryMB: 512, pids: 128, cpus: 1, ...(options.diskQuota ? { diskMB: 256 } : {}) },
      defaults: { memoryMB: 256, pids: 64, cpus: 1, ...(options.diskQuota ? { diskMB: 64 } : {}) },
      networkAllow: [],
    },
    dataDir,
    credentialsFile: '(in memory)',
    shutdownGraceSeconds: 5,
  };
  const disk = options.diskQuota
    ? await TaskDisks.open({
        image: join(dataDir, 'disk', 'tasks.img'),
        mountPoint: join(dataDir, 'runs'),
        sizeMB: 1024,
        expectedDiskMB: 64,
        passGroup: 61000,
      })
    : undefined;
  const engine = new SandboxEngine({
    cgroupVersion: await detectCgroupVersion(),
    prefix,
    uid: 61000,
    gid: 61000,
    ...(disk ? { disk } : {}),
  });
  const queue = createWorkerQueue({
    rootUrl,
    credentials: { clientId: `worker/${name}`, accessToken },
    workerGroup: name,
    workerId: 'w1',
  });
  const resolutions = new Map<string, Resolution>();
  const credentials = new Map<string, RunCredentials>();
  const worker = new Worker(
    config,
    queue,
    engine,
    pino({ level: process.env.BULWARK_TEST_WORKER_LOG ?? 'silent' }),
    (claim, resolution) => {
      credentials.set(claim.taskId, claim.credentials);
      resolutions.set(claim.taskId, resolution);
    },
  );
  worker.start();
  const rootQueue = new taskcluster.Queue({ rootUrl, credentials: root });

  return {
    rootUrl,
    root,
    dataDir,
    disk,
    createTask: async (payload, scopes = []) => {
      const taskId = taskcluster.slugid();
      await rootQueue.createTask(taskId, {
        taskQueueId: queueId,
        created: new Date().toJSON(),
        deadline: new Date(Date.now() + 3600_000).toJSON(),
        scopes,
        payload,
        metadata: {
          name,
          description: name,
          owner: 'e2e@example.com',
          source: 'https://example.com/',
        },
      });
      return taskId;
    },
    waitForResolution: async (taskId) => {
      for (let i = 0; i < 300; i++) {
        const resolution = resolutions.get(taskId);
        if (resolution) {
          const { status } = await rootQueue.status(taskId);
          const run = status.runs[status.runs.length - 1];
          return { resolution, state: status.state, reason: run.reasonResolved };
        }
        await sleep(100);
      }
      throw new Error(`task ${taskId} did not resolve`);
    },
    runCredentials: (taskId) => credentials.get(taskId),
    stop: async () => {
      // Stopping the worker closes its engine, which unmounts the task disk.
      await worker.stop(0);
      await disk?.close();
      await running.stop();
      for (const leftover of await TaskCgroup.findLeftovers(await detectCgroupVersion(), prefix))
        await leftover.destroy();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
