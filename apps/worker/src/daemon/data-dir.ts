import { chmod, chown, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** Where the worker keeps its run directories: one per run, each removed at its end. */
export function runsDirectory(dataDir: string): string {
  return join(dataDir, 'runs');
}

/** Where trees that could not be removed are set aside (S19); retried at every start. */
export function quarantineDirectory(dataDir: string): string {
  return join(dataDir, 'quarantine');
}

/**
 * Makes the worker's data directory, every missing directory above it, and its runs
 * directory, with nothing open to "others" (S11). With `passGroup` (the sandbox user's
 * own group), the directories the sandbox user must pass through to reach a task
 * directory are 0710 and in that group: it may traverse them, not list them, and no
 * other user may even traverse. Without it (the insecure engine runs tasks as the
 * worker's own user), they are 0700. The quarantine directory is always 0700.
 * Directories that already existed above the data directory are the operator's.
 */
export async function prepareDataDir(
  dataDir: string,
  passGroup: number | undefined,
): Promise<void> {
  const passable = async (path: string): Promise<void> => {
    if (passGroup !== undefined) await chown(path, -1, passGroup);
    await chmod(path, passGroup !== undefined ? 0o710 : 0o700);
  };
  const top = resolve(dataDir);
  const firstMade = await mkdir(top, { recursive: true, mode: 0o700 });
  if (firstMade !== undefined) {
    const above = dirname(resolve(firstMade));
    for (let path = top; path !== above && path !== dirname(path); path = dirname(path)) {
      await passable(path);
    }
  }
  await passable(top);
  const runs = runsDirectory(top);
  await mkdir(runs, { recursive: true, mode: 0o700 });
  await passable(runs);
  await mkdir(quarantineDirectory(top), { recursive: true, mode: 0o700 });
  await chmod(quarantineDirectory(top), 0o700);
}
