import { join } from 'node:path';
import type { WorkerConfig } from '../../daemon/worker-config.js';
import { defaultDiskImageMB, WorkerConfigError } from '../../daemon/worker-config.js';
import { TaskDisks } from './task-disks.js';

/**
 * The worker's task disks, from its configuration: the image in `<dataDir>/disk`,
 * mounted where its run directories are made. When they cannot be had, the worker
 * does not start (S9), and the error says which step failed and what to install.
 */
export async function openTaskDisks(
  config: Readonly<WorkerConfig>,
  runs: string,
  passGroup: number,
): Promise<TaskDisks> {
  const expected = config.limits.defaults.diskMB ?? 1024;
  try {
    return await TaskDisks.open({
      image: join(config.dataDir, 'disk', 'tasks.img'),
      mountPoint: runs,
      // loadWorkerConfig always sets it; a configuration made in code may not.
      sizeMB:
        config.diskImageMB ??
        defaultDiskImageMB(config.capacity, config.limits.max.diskMB ?? expected),
      expectedDiskMB: expected,
      passGroup,
    });
  } catch (err) {
    throw new WorkerConfigError(
      `the disk quota for task directories could not be set up, so this worker will not run tasks: ${
        (err as Error).message
      }; it needs btrfs-progs and mount (scripts/system-packages.sh), loop devices and a kernel with btrfs`,
    );
  }
}
