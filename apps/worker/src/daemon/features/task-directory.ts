import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { removeTree } from '../../cleanup/remove-tree.js';
import { quarantineDirectory } from '../data-dir.js';
import type { Claim } from '../queue-api.js';
import type { StartedFeature } from './task-feature.js';

export interface TaskDirectory extends StartedFeature {
  /** The run's own directory: its log, the proxy's socket directory, the task directory. */
  readonly runDir: string;
  /** The task's working directory (on the task disk, where the quota applies, S19). */
  readonly taskDir: string;
}

/**
 * The run's directories, made before anything else of the run (the log file lives in
 * them) and removed after everything else. Private to the worker (S11); the engine
 * opens the run directory to the one user that must pass through it to the task
 * directory, if any. Synchronous: microseconds on the worker's own disk, where the
 * asynchronous calls wait for the thread pool, all of it before the task can start.
 */
export function startTaskDirectory(dataDir: string, claim: Claim, logger: Logger): TaskDirectory {
  const runDir = join(dataDir, 'runs', `${claim.taskId}-${claim.runId}`);
  const taskDir = join(runDir, 'task');
  mkdirSync(taskDir, { recursive: true, mode: 0o700 });
  return {
    runDir,
    taskDir,
    async stop() {
      // Never throws, whatever the task left (S19); what stays is set aside and reported.
      const removal = await removeTree(runDir, { quarantineDir: quarantineDirectory(dataDir) });
      if (removal.outcome !== 'removed') {
        logger.warn({ taskId: claim.taskId, ...removal }, 'the run directory could not be removed');
      }
    },
  };
}
