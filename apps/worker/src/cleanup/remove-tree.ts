import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { mountPointsAt } from './mount-points.js';

/** What became of a tree the worker removed. */
export interface Removal {
  /** The tree's path. */
  path: string;
  /**
   * `removed`: nothing is left. `set-aside`: something could not be removed, and the
   * whole tree was moved into the quarantine directory (`setAsideAt`). `left`: it could
   * be neither removed nor moved, and is still at `path`.
   */
  outcome: 'removed' | 'set-aside' | 'left';
  setAsideAt?: string;
  /**
   * Why it was not removed, in the worker's own words: never a name from inside the
   * tree (those are the task's, and may hold anything).
   */
  problem?: string;
}

export interface RemovalOptions {
  /**
   * Where a tree that cannot be removed is moved (made 0700 when missing): a directory
   * of the worker on the same file system. Without it, such a tree is left in place.
   */
  quarantineDir?: string;
}

/** The most of a tool's complaints kept to classify them; the rest is drained. */
const STDERR_LIMIT = 64 * 1024;

/**
 * Removes a tree whatever a task left in it (S19), and never throws: a tree deeper
 * than PATH_MAX, hundreds of thousands of inodes, directories without permissions,
 * names of any bytes. Node's own `rm` builds full paths and fails with ENAMETOOLONG on
 * a deep tree; coreutils `rm` walks by descriptors (fts, openat/unlinkat), at any depth
 * and faster. It walks into btrfs subvolumes (a task's own disk has a device number of
 * its own, so `--one-file-system` would stop there); it never reaches another file
 * system, since a tree holding a mount point is set aside whole before rm runs.
 *
 * When rm fails, the directories it could not enter or empty get their owner's
 * permissions back (a task running as the worker's own user may have removed them)
 * and rm runs again. What still stands (an immutable file, a mount point) is moved
 * into the quarantine directory whole, so the path is free again and the worker goes
 * on; the result says so, for the log.
 */
export async function removeTree(path: string, options: RemovalOptions = {}): Promise<Removal> {
  try {
    if (!(await exists(path))) return { path, outcome: 'removed' };
    const mounts = await mountPointsAt(path);
    if (mounts > 0) {
      return await setAside(path, `it holds ${mounts} mount point(s)`, options);
    }
    let attempt = await runRm(path);
    if (!(await exists(path))) return { path, outcome: 'removed' };
    await restoreDirectoryPermissions(path);
    attempt = await runRm(path);
    if (!(await exists(path))) return { path, outcome: 'removed' };
    return await setAside(path, attempt, options);
  } catch (err) {
    return { path, outcome: 'left', problem: `removal failed: ${errorText(err)}` };
  }
}

/**
 * Removes every entry of a directory (the directory stays), each as removeTree does.
 * Entries are read as bytes: a name that is not UTF-8 is renamed to one that is first,
 * as Node cannot hand such a name to another program.
 */
export async function removeContents(
  dir: string,
  options: RemovalOptions = {},
): Promise<Removal[]> {
  let names: Buffer[];
  try {
    names = await readdir(dir, { encoding: 'buffer' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    return [
      { path: dir, outcome: 'left', problem: `its entries cannot be read: ${errorText(err)}` },
    ];
  }
  const removals: Removal[] = [];
  for (const name of names) {
    let path = join(dir, name.toString('utf8'));
    if (!Buffer.from(name.toString('utf8')).equals(name)) {
      const readable = join(dir, `.renamed-${randomBytes(6).toString('hex')}`);
      try {
        await rename(Buffer.concat([Buffer.from(`${dir}/`), name]), readable);
      } catch (err) {
        removals.push({
          path,
          outcome: 'left',
          problem: `it cannot be renamed: ${errorText(err)}`,
        });
        continue;
      }
      path = readable;
    }
    removals.push(await removeTree(path, options));
  }
  return removals;
}

async function setAside(path: string, problem: string, options: RemovalOptions): Promise<Removal> {
  if (options.quarantineDir === undefined) return { path, outcome: 'left', problem };
  try {
    await mkdir(options.quarantineDir, { recursive: true, mode: 0o700 });
    await chmod(options.quarantineDir, 0o700);
    const setAsideAt = join(
      options.quarantineDir,
      `${basename(path)}-${Date.now()}-${randomBytes(4).toString('hex')}`,
    );
    await rename(path, setAsideAt);
    return { path, outcome: 'set-aside', setAsideAt, problem };
  } catch (err) {
    return {
      path,
      outcome: 'left',
      problem: `${problem}; moving it aside failed: ${errorText(err)}`,
    };
  }
}

/**
 * `rm -rf` on the tree; resolves with what stood in its way, in the worker's words.
 * The environment is fixed: C messages (classified below), no locale or alias games.
 */
async function runRm(path: string): Promise<string> {
  const { code, stderr } = await runQuiet('rm', ['-rf', '--', path]);
  return code === 0 ? '' : describeRmFailure(code, stderr);
}

/**
 * Gives each directory of the tree whose owner lacks read, write or search permission
 * those back, before it is entered (GNU find visits a directory before its entries,
 * and `-execdir ... ;` runs at once, in the directory's parent, with a relative name,
 * so depth does not matter). No `-xdev`: a task's btrfs subvolume has a device number
 * of its own, and mount points were ruled out before.
 */
async function restoreDirectoryPermissions(path: string): Promise<void> {
  await runQuiet('find', [
    path,
    '-type',
    'd',
    '!',
    '-perm',
    '-u=rwx',
    '-execdir',
    'chmod',
    'u+rwx',
    '--',
    '{}',
    ';',
  ]);
}

/**
 * Maps rm's complaints to causes. Each line is `rm: <what>: <reason>`; the names in
 * them are the task's (and a name may itself hold a newline and a fake line), so only
 * the known reasons are kept, never the text.
 */
function describeRmFailure(code: number | null, stderr: string): string {
  const causes = new Set<string>();
  for (const line of stderr.split('\n')) {
    if (line.endsWith(': Operation not permitted')) {
      causes.add('entries that cannot be deleted (immutable or append-only)');
    } else if (line.endsWith(': Device or resource busy')) {
      causes.add('a mount point or a busy entry');
    } else if (line.endsWith(': Permission denied')) {
      causes.add('entries the worker has no permission to delete');
    } else if (line.endsWith(': Read-only file system')) {
      causes.add('a read-only file system');
    } else if (line.endsWith(", since it's on a different device")) {
      causes.add('another file system mounted inside');
    }
  }
  const why = causes.size > 0 ? [...causes].join(', ') : 'no cause it named';
  return `rm failed (exit ${String(code)}): ${why}`;
}

function runQuiet(
  command: string,
  args: readonly string[],
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < STDERR_LIMIT) stderr += chunk;
    });
    child.once('error', (err) => resolve({ code: null, stderr: err.message }));
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
