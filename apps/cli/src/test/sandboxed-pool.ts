import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import taskcluster from 'taskcluster-client';
import {
  createWorkerQueue,
  detectCgroupVersion,
  prepareDataDir,
  SANDBOX_GID,
  SandboxEngine,
  TaskCgroup,
  Worker,
} from '@bulwark/worker';
import type { CliHarness } from './harness.js';

export interface SandboxedPool {
  readonly taskQueueId: string;
  /** The worker's data directory (its task directories, its files). */
  readonly dataDir: string;
  stop(): Promise<void>;
}

/**
 * A real sandboxed worker serving one pool of the harness's platform, with a client
 * that can claim only from that pool (S5), for tests that run tasks through the CLI.
 * stop() removes everything it made.
 */
export async function startSandboxedPool(
  harness: CliHarness,
  name: string,
): Promise<SandboxedPool> {
  const taskQueueId = `proj-cli/${name}`;
  const prefix = `bulwark-cli-${name}${process.pid}`;
  const rootUrl = harness.platform.rootUrl;
  const auth = new taskcluster.Auth({ rootUrl, credentials: harness.root });
  const { accessToken } = (await auth.createClient!(`worker/${name}`, {
    description: `a worker for the ${name} tests`,
    expires: new Date(Date.now() + 3600_000).toJSON(),
    scopes: [`queue:claim-work:${taskQueueId}`, `queue:worker-id:${name}/w1`],
  })) as { accessToken: string };
  // The sandbox user passes through to its task directories by its group alone (S11).
  const dataDir = await mkdtemp(join(tmpdir(), `bulwark-cli-${name}-worker-`));
  await prepareDataDir(dataDir, SANDBOX_GID);
  const cgroupVersion = await detectCgroupVersion();
  const worker = new Worker(
    {
      rootUrl,
      taskQueueId,
      workerGroup: name,
      workerId: 'w1',
      capacity: 1,
      engine: 'sandbox',
      isolated: true,
      limits: {
        maxRunTime: 60,
        max: { memoryMB: 256, pids: 64, cpus: 1 },
        defaults: { memoryMB: 256, pids: 64, cpus: 1 },
        networkAllow: [],
      },
      dataDir,
      credentialsFile: '(in memory)',
      shutdownGraceSeconds: 5,
    },
    createWorkerQueue({
      rootUrl,
      credentials: { clientId: `worker/${name}`, accessToken },
      workerGroup: name,
      workerId: 'w1',
    }),
    new SandboxEngine({ cgroupVersion, prefix, uid: 61000, gid: SANDBOX_GID }),
    pino({ level: 'silent' }),
  );
  worker.start();
  return {
    taskQueueId,
    dataDir,
    async stop() {
      await worker.stop(0);
      for (const leftover of await TaskCgroup.findLeftovers(cgroupVersion, prefix)) {
        await leftover.destroy();
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
