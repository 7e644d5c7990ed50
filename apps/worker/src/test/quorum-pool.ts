import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import taskcluster from 'taskcluster-client';
import { startTestPlatform, type TestPlatform } from '@bulwark/server/testing';
import { prepareDataDir } from '../daemon/data-dir.js';
import { createWorkerQueue } from '../daemon/queue-api.js';
import { Worker } from '../daemon/worker.js';
import type { WorkerConfig } from '../daemon/worker-config.js';
import { detectCgroupVersion, TaskCgroup } from '../sandbox/cgroup.js';
import { SandboxEngine } from '../sandbox/sandbox-engine.js';

export interface PoolWorkerSpec {
  group: string;
  id: string;
  /** The queue it claims from; the pool's own unless given (a trusted queue). */
  taskQueueId?: string;
  /** The test-only tamper switch (artifacts/tamper.ts): this artifact gets a flipped byte. */
  tamper?: string;
}

export interface QuorumPool {
  rootUrl: string;
  taskQueueId: string;
  /** A Queue client with the root credentials. */
  queue: any;
  /** A Signing client with the root credentials, built from the served reference. */
  signing: any;
  /** Creates a task on the pool's queue with these extra definition fields. */
  createTask: (payload: unknown, extra?: Record<string, unknown>) => Promise<string>;
  /** The task's status once `done(status)` holds, polled (bounded). */
  waitFor: (taskId: string, done: (status: any) => boolean) => Promise<any>;
  stop: () => Promise<void>;
}

/**
 * One test platform and real workers running the sandbox engine, each a separate
 * worker identity with credentials for its own queue and id only (S5), each with its
 * own data directory and cgroup prefix. Everything is removed by stop().
 */
export async function startQuorumPool(name: string, specs: PoolWorkerSpec[]): Promise<QuorumPool> {
  const taskQueueId = `proj-${name}/quorum`;
  const running: TestPlatform = await startTestPlatform();
  const rootUrl = running.platform.rootUrl;
  const root = JSON.parse(await readFile(running.platform.rootCredentialsPath, 'utf8')) as {
    clientId: string;
    accessToken: string;
  };
  const auth = new taskcluster.Auth({ rootUrl, credentials: root });
  const cgroupVersion = await detectCgroupVersion();
  const started: { worker: Worker; dataDir: string; prefix: string }[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(started.map(({ worker }) => worker.stop(0)));
    await running.stop();
    for (const { dataDir, prefix } of started) {
      for (const leftover of await TaskCgroup.findLeftovers(cgroupVersion, prefix)) {
        await leftover.destroy();
      }
      await rm(dataDir, { recursive: true, force: true });
    }
  };
  try {
    for (const spec of specs) {
      const queueId = spec.taskQueueId ?? taskQueueId;
      const clientId = `worker/${name}-${spec.group}-${spec.id}`;
      const { accessToken } = await auth.createClient(clientId, {
        description: `${name} worker`,
        expires: new Date(Date.now() + 3600_000).toJSON(),
        scopes: [`queue:claim-work:${queueId}`, `queue:worker-id:${spec.group}/${spec.id}`],
      });
      const dataDir = await mkdtemp(join(tmpdir(), `bulwark-quorum-${name}-`));
      await prepareDataDir(dataDir, 61000);
      const prefix = `bulwark-q${name}${spec.id}${process.pid}`;
      const config: WorkerConfig = {
        rootUrl,
        taskQueueId: queueId,
        workerGroup: spec.group,
        workerId: spec.id,
        // Room for two: a worker still never holds two replicas of one task (the queue
        // refuses it), and a worker of capacity 1 that ran a task left a request open
        // that kept the platform's stop waiting for its keep-alive timeout (72 s).
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
        ...(spec.tamper !== undefined ? { testOnlyTamperArtifact: spec.tamper } : {}),
      };
      const engine = new SandboxEngine({ cgroupVersion, prefix, uid: 61000, gid: 61000 });
      const queue = createWorkerQueue({
        rootUrl,
        credentials: { clientId, accessToken },
        workerGroup: spec.group,
        workerId: spec.id,
      });
      const logger = pino({ level: process.env.BULWARK_TEST_WORKER_LOG ?? 'silent' });
      const worker = new Worker(config, queue, engine, logger);
      started.push({ worker, dataDir, prefix });
      worker.start();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const queue = new taskcluster.Queue({ rootUrl, credentials: root });
  const signingReference: unknown = await (
    await fetch(`${rootUrl}/api/signing/v1/reference`)
  ).json();
  const Signing = taskcluster.createClient(signingReference);
  return {
    rootUrl,
    taskQueueId,
    queue,
    signing: new Signing({ rootUrl, credentials: root }),
    createTask: async (payload, extra = {}) => {
      const taskId = taskcluster.slugid();
      await queue.createTask(taskId, {
        taskQueueId,
        created: new Date().toJSON(),
        deadline: new Date(Date.now() + 3600_000).toJSON(),
        payload,
        metadata: {
          name,
          description: name,
          owner: 'quorum@example.com',
          source: 'https://example.com/',
        },
        ...extra,
      });
      return taskId;
    },
    waitFor: async (taskId, done) => {
      for (let i = 0; i < 1200; i++) {
        const { status } = await queue.status(taskId);
        if (done(status)) return status;
        await sleep(50);
      }
      throw new Error(`task ${taskId} did not reach the awaited state`);
    },
    stop,
  };
}
