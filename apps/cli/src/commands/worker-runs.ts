import { createHash } from 'node:crypto';
import { chmod, chown, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SANDBOX_GID } from '@bulwark/worker';

/**
 * Where the local worker of `bulwark up` keeps its runs. The sandbox user must pass
 * through every directory above a task's directory, which a data directory under a
 * private home (0700) does not allow, and must not (S11). So the runs live under
 * /var/lib/bulwark-local-workers, which only root and the sandbox's own group may pass
 * (0710), one directory per data directory; apart from the directory of the workers
 * installed on the host (/var/lib/bulwark-worker), which this never touches. They belong to that data directory:
 * `bulwark up` removes them when it stops, and any `bulwark up` removes those of a
 * data directory that no longer exists and whose instance is gone, so nothing stays
 * behind in a host-wide directory.
 */
export const WORKER_RUNS_ROOT = '/var/lib/bulwark-local-workers';

export function workerRunsDirectory(dataDir: string): string {
  return join(WORKER_RUNS_ROOT, runsId(dataDir));
}

function runsId(dataDir: string): string {
  return createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12);
}

/** Who uses a runs directory: `<id>.owner` next to it, root's, 0600. */
interface Owner {
  readonly dataDir: string;
  readonly pid: number;
}

/** Makes the root directory and records this instance as the owner of its runs directory. */
export async function claimWorkerRuns(dataDir: string): Promise<string> {
  await mkdir(WORKER_RUNS_ROOT, { recursive: true, mode: 0o700 });
  await chown(WORKER_RUNS_ROOT, 0, SANDBOX_GID);
  await chmod(WORKER_RUNS_ROOT, 0o710);
  await removeOrphanedWorkerRuns();
  const owner: Owner = { dataDir: resolve(dataDir), pid: process.pid };
  const ownerFile = `${workerRunsDirectory(dataDir)}.owner`;
  await writeFile(ownerFile, `${JSON.stringify(owner)}\n`, { mode: 0o600 });
  await chmod(ownerFile, 0o600);
  return workerRunsDirectory(dataDir);
}

/** After the worker stopped: its runs are finished, so their directory goes. */
export async function releaseWorkerRuns(dataDir: string): Promise<void> {
  const runs = workerRunsDirectory(dataDir);
  await rm(runs, { recursive: true, force: true });
  await rm(`${runs}.owner`, { force: true });
}

/**
 * Runs directories whose data directory is gone (deleted, or moved) and whose
 * instance no longer runs: nothing else would ever remove them.
 */
export async function removeOrphanedWorkerRuns(): Promise<void> {
  const entries = await readdir(WORKER_RUNS_ROOT).catch(() => [] as string[]);
  for (const entry of entries) {
    const match = /^([0-9a-f]{12})\.owner$/.exec(entry);
    if (!match) continue;
    const ownerFile = join(WORKER_RUNS_ROOT, entry);
    const owner = await readOwner(ownerFile);
    if (!owner || runsId(owner.dataDir) !== match[1]) continue;
    if (isAlive(owner.pid) || (await exists(owner.dataDir))) continue;
    await rm(join(WORKER_RUNS_ROOT, match[1]), { recursive: true, force: true });
    await rm(ownerFile, { force: true });
  }
}

async function readOwner(path: string): Promise<Owner | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<Owner>;
    if (typeof parsed.dataDir !== 'string' || !Number.isInteger(parsed.pid)) return undefined;
    return { dataDir: parsed.dataDir, pid: parsed.pid! };
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
