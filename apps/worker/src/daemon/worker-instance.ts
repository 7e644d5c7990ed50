import { randomBytes } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const INSTANCE_ID = /^[0-9a-f]{16}$/;

/**
 * The worker instance's id: random, made on its first start and kept in its data
 * directory (0600). Every kernel object the worker makes for a task (cgroups, and the
 * network namespaces, veths and nftables tables named from the same prefix) carries
 * it, so two workers on one host never share a name, even with the same group and id
 * (two `bulwark up`, the same pool twice), and the start-up recovery of one finds and
 * destroys only what that same instance left (S19, S6).
 */
export async function loadInstanceId(dataDir: string): Promise<string> {
  const file = join(dataDir, 'instance-id');
  const kept = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (INSTANCE_ID.test(kept)) return kept;
  const id = randomBytes(8).toString('hex');
  const fresh = `${file}.${randomBytes(4).toString('hex')}`;
  await writeFile(fresh, `${id}\n`, { mode: 0o600, flag: 'wx' });
  await rename(fresh, file);
  return id;
}

/**
 * The prefix of every kernel object this worker instance names. The instance id comes
 * first: a name of another instance never starts with this prefix, whatever the
 * group and id of either (`bulwark-<id>-a-b-c` and `bulwark-<id>-a-b` cannot be told
 * apart by prefix when the id follows them).
 */
export function objectPrefix(instanceId: string, workerGroup: string, workerId: string): string {
  return `bulwark-${instanceId}-${workerGroup}-${workerId}`;
}

/** Another live worker process holds this data directory. */
export class DataDirInUse extends Error {
  override readonly name = 'DataDirInUse';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_DATA_DIR_IN_USE';
}

/**
 * Makes this process the holder of the data directory, or rejects with DataDirInUse
 * when another live worker process holds it: two workers over one data directory
 * would share an instance id, and the second one's start-up recovery would destroy the
 * first one's running tasks. A holder that is gone (its pid dead, or reused by a
 * process that started at another time) is replaced. The same process may claim again.
 */
export async function claimDataDir(dataDir: string): Promise<void> {
  const file = join(dataDir, 'worker.pid');
  const me = await processIdentity(process.pid);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(file, `${me}\n`, { mode: 0o600, flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = (await readFile(file, 'utf8').catch(() => '')).trim();
    if (holder === me) return;
    const pid = Number(holder.split(' ')[0]);
    if (Number.isSafeInteger(pid) && pid > 0 && (await processIdentity(pid)) === holder) {
      throw new DataDirInUse(
        `another worker (pid ${pid}) uses the data directory ${dataDir}; give each worker its own`,
      );
    }
    await unlink(file).catch(() => undefined);
  }
  throw new DataDirInUse(`the data directory ${dataDir} is being claimed by another worker`);
}

/** `<pid> <start time in clock ticks since boot>`: tells a process from a later one on its pid. */
async function processIdentity(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after the command name, which may itself hold spaces and parentheses.
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return `${pid} ${start ?? 'gone'}`;
}
