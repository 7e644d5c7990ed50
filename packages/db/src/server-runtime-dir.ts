import { chmod, chown, lstat, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import type { BindMount } from './server-launch.js';
import { assertTraversableBy, type ServerUser } from './server-user.js';

/**
 * A directory of one start of the embedded server, removed when it stops:
 *
 *     <base>/bulwark-pg-<our pid>-XXXXXX/   root, group of the server user, 0710
 *         socket/                            the server user, 0700: socket, initdb's password file
 *         install/  cluster/                 root, 0700: mount points (root only)
 *
 * As root, <base> is /run (root's own, traversable), never TMPDIR, which may be
 * private to us; the server user reaches its socket directory through a directory
 * only its own group may pass (S11: nothing for others). The mount points are used
 * inside the server's private mount namespace only: outside it they stay empty.
 */
export interface RuntimeDir {
  readonly path: string;
  readonly socketDir: string;
  /** Mount points for the binaries and the cluster; undefined when we are not root. */
  readonly installMount: string | undefined;
  readonly clusterMount: string | undefined;
}

const PREFIX = 'bulwark-pg-';

export async function createRuntimeDir(user: ServerUser | undefined): Promise<RuntimeDir> {
  if (!user) {
    // We run the server as ourselves: a private directory of ours is all it needs.
    const path = await mkdtemp(join(tmpdir(), PREFIX));
    await chmod(path, 0o700);
    return { path, socketDir: path, installMount: undefined, clusterMount: undefined };
  }
  const base = await rootRuntimeBase();
  await removeAbandoned(base);
  const path = await mkdtemp(join(base, `${PREFIX}${process.pid}-`));
  try {
    await chown(path, 0, user.gid);
    await chmod(path, 0o710);
    const socketDir = join(path, 'socket');
    const installMount = join(path, 'install');
    const clusterMount = join(path, 'cluster');
    await mkdir(socketDir, { mode: 0o700 });
    await chown(socketDir, user.uid, user.gid);
    await mkdir(installMount, { mode: 0o700 });
    await mkdir(clusterMount, { mode: 0o700 });
    await assertTraversableBy(user, socketDir, 'its runtime directory');
    return { path, socketDir, installMount, clusterMount };
  } catch (err) {
    await rm(path, { recursive: true, force: true });
    throw err;
  }
}

/** /run when it is root's and not writable by others (Debian's tmpfs); else /tmp. */
async function rootRuntimeBase(): Promise<string> {
  const info = await stat('/run').catch(() => undefined);
  if (info?.isDirectory() && info.uid === 0 && (info.mode & 0o022) === 0) return '/run';
  return '/tmp';
}

/**
 * Runtime directories of processes that no longer exist: left when a process was
 * SIGKILLed (its server still stopped, on the parent-death signal). Only our own
 * (root's) and only of dead processes: another live instance's is never touched.
 */
async function removeAbandoned(base: string): Promise<void> {
  const entries = await readdir(base).catch(() => [] as string[]);
  for (const entry of entries) {
    const match = new RegExp(`^${PREFIX}(\\d+)-`).exec(entry);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    const path = join(base, entry);
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isDirectory() || info.uid !== 0) continue;
    await rm(path, { recursive: true, force: true }).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How a PostgreSQL program started for one cluster directory sees its paths. */
export interface ProgramView {
  readonly mounts: readonly BindMount[];
  /** The cluster directory (PGDATA) as the program sees it. */
  readonly clusterDir: string;
  /** A path under the binaries' install directory as the program sees it. */
  program(path: string): string;
}

/**
 * As root, the binaries (read-only) and `clusterSource` are bound onto the runtime
 * directory's mount points; otherwise the program sees our own paths.
 */
export function programView(
  runtime: RuntimeDir,
  installDir: string,
  clusterSource: string,
): ProgramView {
  const { installMount, clusterMount } = runtime;
  if (installMount === undefined || clusterMount === undefined) {
    return { mounts: [], clusterDir: clusterSource, program: (path) => path };
  }
  return {
    mounts: [
      { source: installDir, target: installMount, readOnly: true },
      { source: clusterSource, target: clusterMount, readOnly: false },
    ],
    clusterDir: clusterMount,
    program: (path) => {
      const inside = relative(installDir, path);
      if (inside.startsWith('..') || isAbsolute(inside)) {
        throw new Error(`${path} is not under the PostgreSQL install directory ${installDir}`);
      }
      return join(installMount, inside);
    },
  };
}
