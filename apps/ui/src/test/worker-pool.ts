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

export interface WorkerPool {
  readonly taskQueueId: string;
  stop(): Promise<void>;
}

/**
 * A real sandboxed worker serving one pool of a test platform, with a client that can
 * claim only from that pool (S5). stop() removes everything it made.
 */
export async function startWorkerPool(
  rootUrl: string,
  root: { clientId: string; accessToken: string },
  name: string,
): Promise<WorkerPool> {
  const taskQueueId = `proj-ui/${name}`;
  const prefix = `bulwark-ui-${name}${process.pid}`;
  const auth = new taskcluster.Auth({ rootUrl, credentials: root });
  const { accessToken } = (await auth.createClient(`worker/${name}`, {
    description: `a worker for the ${name} tests`,
    expires: new Date(Date.now() + 3600_000).toJSON(),
    scopes: [`queue:claim-work:${taskQueueId}`, `queue:worker-id:${name}/w1`],
  })) as { accessToken: string };
  const dataDir = await mkdtemp(join(tmpdir(), `bulwark-ui-${name}-worker-`));
  await prepareDataDir(dataDir, SANDBOX_GID);
  const cgroupVersion = await detectCgroupVersion();
  const worker = new Worker(
    {
      rootUrl,
      taskQueueId,
      workerGroup: name,
      workerId: 'w1',
      capacity: 2,
      engine: 'sandbox',
      isolated: true,
      limits: {
        maxRunTime: 120,
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
    async stop() {
      await worker.stop(0);
      for (const leftover of await TaskCgroup.findLeftovers(cgroupVersion, prefix)) {
        await leftover.destroy();
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
