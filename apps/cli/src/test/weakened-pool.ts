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
  type WeakenedForTests,
} from '@bulwark/worker';

export interface WeakenedPool {
  readonly taskQueueId: string;
  /** The worker's own log lines (pino JSON), warnings and above. */
  readonly workerLog: string[];
  stop(): Promise<void>;
}

/**
 * A real sandboxed worker with single controls switched off (test-only), serving a pool
 * of its own on the platform at rootUrl, so the exercise can be shown to notice each
 * missing control. Its client claims only from that pool (S5); stop() removes
 * everything it made.
 */
export async function startWeakenedPool(
  rootUrl: string,
  root: { clientId: string; accessToken: string },
  name: string,
  weakened: WeakenedForTests,
): Promise<WeakenedPool> {
  const taskQueueId = `${name}/pool`;
  const prefix = `bulwark-${name}`;
  const auth = new taskcluster.Auth({ rootUrl, credentials: root });
  const workerClient = `worker/${name}`;
  const { accessToken } = (await auth.createClient!(workerClient, {
    description: 'a weakened sandboxed worker for the exercise test',
    expires: new Date(Date.now() + 3600_000).toJSON(),
    scopes: [`queue:claim-work:${taskQueueId}`, `queue:worker-id:${name}/w1`],
  })) as { accessToken: string };
  // The sandbox user passes through to its task directories by its group alone (S11).
  const dataDir = await mkdtemp(join(tmpdir(), `${name}-`));
  await prepareDataDir(dataDir, SANDBOX_GID);
  const cgroupVersion = await detectCgroupVersion();
  const workerLog: string[] = [];
  const engine = new SandboxEngine({
    cgroupVersion,
    prefix,
    uid: 61000,
    gid: SANDBOX_GID,
    weakenedForTests: weakened,
  });
  const worker = new Worker(
    {
      rootUrl,
      taskQueueId,
      workerGroup: name,
      workerId: 'w1',
      capacity: 4,
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
      shutdownGraceSeconds: 0,
    },
    createWorkerQueue({
      rootUrl,
      credentials: { clientId: workerClient, accessToken },
      workerGroup: name,
      workerId: 'w1',
    }),
    engine,
    pino({ level: 'warn' }, { write: (line: string) => void workerLog.push(line) }),
  );
  worker.start();
  return {
    taskQueueId,
    workerLog,
    async stop() {
      await worker.stop(0);
      await engine.close();
      for (const leftover of await TaskCgroup.findLeftovers(cgroupVersion, prefix)) {
        await leftover.destroy();
      }
      await auth.deleteClient!(workerClient);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
