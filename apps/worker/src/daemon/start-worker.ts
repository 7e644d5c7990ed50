import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { detectCgroupVersion } from '../sandbox/cgroup.js';
import { createEngine, EngineRefused } from '../sandbox/create-engine.js';
import { destroyLeftovers } from '../sandbox/recovery.js';
import { openTaskDisks } from '../sandbox/disk-quota/open-task-disks.js';
import { selfTest, type ControlCheck } from '../sandbox/self-test.js';
import type { Executor } from '../sandbox/engine.js';
import { createWorkerQueue } from './queue-api.js';
import { Worker } from './worker.js';
import { loadWorkerCredentials, WorkerConfigError, type WorkerConfig } from './worker-config.js';

/** The unprivileged user and group sandboxed tasks run as. */
export const SANDBOX_UID = 61000;
export const SANDBOX_GID = 61000;

export class ControlsFailed extends Error {
  constructor(readonly checks: ControlCheck[]) {
    super(
      `the sandbox failed its self-test, so this worker will not run tasks: ${checks
        .filter((c) => !c.ok)
        .map((c) => `${c.control}: ${c.detail ?? ''}`)
        .join('; ')}`,
    );
  }
}

/**
 * Builds the engine the configuration names and, for the sandbox, clears what a
 * crashed predecessor left (cgroups, task networks, run directories) and proves every
 * control with the self-test before a single task is claimed (S9).
 */
export async function prepareEngine(
  config: Readonly<WorkerConfig>,
  options: { allowInsecure: boolean },
): Promise<{ engine: Executor; checks: ControlCheck[] }> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o711 });
  await chmod(config.dataDir, 0o711);
  const runs = join(config.dataDir, 'runs');
  const prefix = `bulwark-${config.workerGroup}-${config.workerId}`;
  if (config.engine === 'insecure') {
    const engine = refusedAsConfigError(() =>
      createEngine({
        engine: 'insecure',
        isolatedPool: config.isolated,
        allowInsecure: options.allowInsecure,
        sandbox: { cgroupVersion: 1, prefix, uid: SANDBOX_UID, gid: SANDBOX_GID },
      }),
    );
    await rm(runs, { recursive: true, force: true });
    return { engine, checks: [] };
  }
  const cgroupVersion = await detectCgroupVersion().catch((err: unknown) => {
    throw new WorkerConfigError(
      'no usable cgroup hierarchy under /sys/fs/cgroup: the sandbox cannot limit tasks ' +
        `(${err instanceof Error ? err.message : String(err)})`,
    );
  });
  await destroyLeftovers({ prefix, cgroupVersion, taskDirParents: [runs] });
  // Task directories are made on the worker's quota filesystem, mounted at `runs`.
  const disk = await openTaskDisks(config, runs);
  let engine: Executor;
  try {
    engine = refusedAsConfigError(() =>
      createEngine({
        engine: 'sandbox',
        isolatedPool: config.isolated,
        allowInsecure: options.allowInsecure,
        sandbox: { cgroupVersion, prefix, uid: SANDBOX_UID, gid: SANDBOX_GID, disk },
      }),
    );
  } catch (err) {
    await disk.close();
    throw err;
  }
  const checks = await selfTest(engine, runs);
  if (checks.some((c) => !c.ok)) {
    await engine.close?.();
    throw new ControlsFailed(checks);
  }
  return { engine, checks };
}

function refusedAsConfigError(make: () => Executor): Executor {
  try {
    return make();
  } catch (err) {
    if (err instanceof EngineRefused) throw new WorkerConfigError(err.message);
    throw err;
  }
}

/** A started worker: claims until stop() (SIGTERM), then hands back what it cannot finish. */
export async function startWorker(
  config: Readonly<WorkerConfig>,
  engine: Executor,
  logger: Logger,
): Promise<Worker> {
  const credentials = await loadWorkerCredentials(config.credentialsFile);
  const queue = createWorkerQueue({
    rootUrl: config.rootUrl,
    credentials,
    workerGroup: config.workerGroup,
    workerId: config.workerId,
  });
  const worker = new Worker(config, queue, engine, logger);
  worker.start();
  logger.info(
    { taskQueueId: config.taskQueueId, engine: engine.name, capacity: config.capacity },
    'worker started',
  );
  return worker;
}
