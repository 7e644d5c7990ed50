import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import taskcluster from 'taskcluster-client';
import { createWorkerQueue, InsecureEngine, prepareDataDir, Worker } from '@bulwark/worker';

export interface InsecurePool {
  readonly taskQueueId: string;
  stop(): Promise<void>;
}

/**
 * A worker with no sandbox at all (the development engine, S9), serving a pool of its
 * own on the platform at rootUrl, so the exercise can be shown to notice every missing
 * control at once. Its client claims only from that pool (S5); stop() removes
 * everything it made.
 */
export async function startInsecurePool(
  rootUrl: string,
  root: { clientId: string; accessToken: string },
  name: string,
): Promise<InsecurePool> {
  const taskQueueId = `${name}/pool`;
  const auth = new taskcluster.Auth({ rootUrl, credentials: root });
  const workerClient = `worker/${name}`;
  const { accessToken } = (await auth.createClient!(workerClient, {
    description: 'an insecure worker for the exercise test',
    expires: new Date(Date.now() + 3600_000).toJSON(),
    scopes: [`queue:claim-work:${taskQueueId}`, `queue:worker-id:${name}/w1`],
  })) as { accessToken: string };
  const workerDir = await mkdtemp(join(tmpdir(), `${name}-`));
  await prepareDataDir(workerDir, undefined);
  const worker = new Worker(
    {
      rootUrl,
      taskQueueId,
      workerGroup: name,
      workerId: 'w1',
      capacity: 4,
      engine: 'insecure',
      isolated: false,
      limits: {
        maxRunTime: 60,
        max: { memoryMB: 256, pids: 64, cpus: 1 },
        defaults: { memoryMB: 256, pids: 64, cpus: 1 },
        networkAllow: [],
      },
      dataDir: workerDir,
      credentialsFile: '(in memory)',
      shutdownGraceSeconds: 0,
    },
    createWorkerQueue({
      rootUrl,
      credentials: { clientId: workerClient, accessToken },
      workerGroup: name,
      workerId: 'w1',
    }),
    new InsecureEngine(),
    pino({ level: 'silent' }),
  );
  worker.start();
  return {
    taskQueueId,
    async stop() {
      await worker.stop(0);
      await auth.deleteClient!(workerClient);
      await rm(workerDir, { recursive: true, force: true });
    },
  };
}
