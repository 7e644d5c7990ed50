import type { Logger } from 'pino';
import { detectCgroupVersion } from '../sandbox/cgroup.js';
import { createEngine, EngineRefused } from '../sandbox/create-engine.js';
import { openTaskDisks } from '../sandbox/disk-quota/open-task-disks.js';
import { networkTag } from '../sandbox/network/names.js';
import { destroyLeftovers, removeLeftoverTrees } from '../sandbox/recovery.js';
import { selfTest, type ControlCheck } from '../sandbox/self-test.js';
import type { Executor } from '../sandbox/engine.js';
import { prepareDataDir, quarantineDirectory, runsDirectory } from './data-dir.js';
import { createWorkerQueue } from './queue-api.js';
import { Worker } from './worker.js';
import { claimDataDir, DataDirInUse, loadInstanceId, objectPrefix } from './worker-instance.js';
import { loadWorkerCredentials, WorkerConfigError, type WorkerConfig } from './worker-config.js';

/** The unprivileged user and group sandboxed tasks run as. */
export const SANDBOX_UID = 61000;
export const SANDBOX_GID = 61000;

export class ControlsFailed extends Error {
  override readonly name = 'ControlsFailed';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_CONTROLS_FAILED';
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
 * crashed predecessor of this same worker instance left (cgroups, task networks, run
 * directories) and proves every control with the self-test before a single task is
 * claimed (S9). Refuses a data directory another live worker holds (S19).
 */
export async function prepareEngine(
  config: Readonly<WorkerConfig>,
  options: { allowInsecure: boolean; logger?: Logger },
): Promise<{ engine: Executor; checks: ControlCheck[] }> {
  const sandboxed = config.engine !== 'insecure';
  // The sandbox user passes through the data and runs directories by its group (S11).
  await prepareDataDir(config.dataDir, sandboxed ? SANDBOX_GID : undefined);
  await claimDataDir(config.dataDir).catch((err: unknown) => {
    if (err instanceof DataDirInUse) throw new WorkerConfigError(err.message);
    throw err;
  });
  const runs = runsDirectory(config.dataDir);
  const quarantineDir = quarantineDirectory(config.dataDir);
  const prefix = objectPrefix(
    await loadInstanceId(config.dataDir),
    config.workerGroup,
    config.workerId,
  );
  const sandbox = { prefix, uid: SANDBOX_UID, gid: SANDBOX_GID };
  if (!sandboxed) {
    const engine = refusedAsConfigError(() =>
      createEngine({
        engine: 'insecure',
        isolatedPool: config.isolated,
        allowInsecure: options.allowInsecure,
        sandbox: { cgroupVersion: 1, ...sandbox },
      }),
    );
    const trees = await removeLeftoverTrees({ taskDirParents: [runs], quarantineDir });
    for (const problem of trees.problems) {
      options.logger?.warn({ problem }, 'a leftover could not be destroyed; the worker goes on');
    }
    return { engine, checks: [] };
  }
  const cgroupVersion = await detectCgroupVersion().catch((err: unknown) => {
    throw new WorkerConfigError(
      'no usable cgroup hierarchy under /sys/fs/cgroup: the sandbox cannot limit tasks ' +
        `(${err instanceof Error ? err.message : String(err)})`,
    );
  });
  const leftovers = await destroyLeftovers({
    prefix,
    cgroupVersion,
    taskDirParents: [runs],
    quarantineDir,
  });
  if (leftovers.cgroups + leftovers.networks + leftovers.taskDirs > 0) {
    options.logger?.info(
      { cgroups: leftovers.cgroups, networks: leftovers.networks, runs: leftovers.taskDirs },
      'destroyed what an earlier run of this worker left',
    );
  }
  for (const problem of leftovers.problems) {
    options.logger?.warn({ problem }, 'a leftover could not be destroyed; the worker goes on');
  }
  const permitsDestinations = config.limits.networkAllow.length > 0;
  // Task directories are made on the worker's quota filesystem, mounted at `runs`.
  const disk = await openTaskDisks(config, runs, SANDBOX_GID);
  let engine: Executor;
  try {
    engine = refusedAsConfigError(() =>
      createEngine({
        engine: 'sandbox',
        isolatedPool: config.isolated,
        allowInsecure: options.allowInsecure,
        sandbox: {
          cgroupVersion,
          ...sandbox,
          disk,
          // A pool that permits destinations keeps a closed task network ready.
          network: { prepareAhead: permitsDestinations },
        },
      }),
    );
  } catch (err) {
    await disk.close();
    throw err;
  }
  const checks = await selfTest(engine, runs, {
    ...(permitsDestinations ? { allowlistProbe: { networkTag: networkTag(prefix) } } : {}),
  });
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
