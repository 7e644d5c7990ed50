import { randomBytes } from 'node:crypto';
import { access, chmod, chown, link, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ensurePrivateDir, writeNewPrivateFile } from './private-files.js';
import { runChild } from './embedded-child.js';
import type { ServerLog } from './server-log.js';
import { programView, type RuntimeDir } from './server-runtime-dir.js';
import type { ServerUser } from './server-user.js';

/** Where the embedded server keeps its state inside Bulwark's data directory. */
export interface ClusterPaths {
  readonly dataDir: string;
  /** The PostgreSQL cluster (PGDATA), owned by the server user, 0700. */
  readonly clusterDir: string;
  /** The superuser password, owned by Bulwark's user, 0600. */
  readonly passwordFile: string;
  readonly logFile: string;
}

export const SUPERUSER_NAME = 'bulwark';

export function clusterPaths(dataDir: string): ClusterPaths {
  return {
    dataDir,
    clusterDir: join(dataDir, 'postgres'),
    passwordFile: join(dataDir, 'postgres-password'),
    logFile: join(dataDir, 'postgres.log'),
  };
}

/**
 * initdb builds the cluster in a scratch directory that is renamed into place only
 * when complete, so the presence of `postgres/` means a usable cluster and a crash
 * during initdb never leaves a half-made one behind.
 */
export async function isClusterInitialized(paths: ClusterPaths): Promise<boolean> {
  try {
    await access(join(paths.clusterDir, 'PG_VERSION'));
    return true;
  } catch {
    return false;
  }
}

/** Reads the password of an existing cluster; its loss is not something we can repair. */
export async function readPassword(paths: ClusterPaths): Promise<string> {
  let text: string;
  try {
    text = await readFile(paths.passwordFile, 'utf8');
  } catch (err) {
    throw new Error(
      `the embedded PostgreSQL cluster ${paths.clusterDir} exists but its password file ` +
        `${paths.passwordFile} cannot be read; restore it from backup`,
      { cause: err },
    );
  }
  // Repairs a mode loosened by hand or by a restore: S11.
  await chmod(paths.passwordFile, 0o600);
  const password = text.trim();
  if (!/^[0-9a-f]{64}$/.test(password)) {
    throw new Error(`the password file ${paths.passwordFile} is malformed`);
  }
  return password;
}

/**
 * Returns the password for a cluster about to be created. The file is published
 * with link(), which fails if it exists, so processes racing on a fresh data
 * directory all end up with the same password instead of overwriting each other's.
 * A file left by an interrupted initdb is simply reused.
 */
export async function readOrCreatePassword(paths: ClusterPaths): Promise<string> {
  const scratch = `${paths.passwordFile}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeNewPrivateFile(scratch, `${randomBytes(32).toString('hex')}\n`);
    await link(scratch, paths.passwordFile).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  } finally {
    await rm(scratch, { force: true });
  }
  return readPassword(paths);
}

export interface InitializeClusterOptions {
  readonly user: ServerUser | undefined;
  readonly log: ServerLog;
  readonly runtime: RuntimeDir;
  readonly paths: ClusterPaths;
  /** The binaries' install directory and initdb in it, as we see them. */
  readonly installDir: string;
  readonly initdb: string;
  readonly password: string;
  /** false skips initdb's final fsync of the new cluster (throwaway clusters only). */
  readonly durable: boolean;
}

/** Runs initdb into a scratch directory and renames the result to `postgres/`. */
export async function initializeCluster(options: InitializeClusterOptions): Promise<void> {
  const { paths, user, runtime, log } = options;
  await removeAbandonedScratchDirs(paths);
  const scratchDir = `${paths.clusterDir}.init-${randomBytes(6).toString('hex')}`;
  // initdb reads the password from a file: never argv (visible to every user, S1).
  // The socket directory is private to the server user and removed after each start.
  const pwfile = join(runtime.socketDir, 'initdb-password');
  const view = programView(runtime, options.installDir, scratchDir);
  try {
    await ensurePrivateDir(scratchDir);
    await writeNewPrivateFile(pwfile, `${options.password}\n`);
    if (user) {
      await chown(scratchDir, user.uid, user.gid);
      await chown(pwfile, user.uid, user.gid);
    }
    const context = { user, log, runtimeDir: runtime.path, mounts: view.mounts };
    await runChild(context, view.program(options.initdb), [
      `--pgdata=${view.clusterDir}`,
      `--username=${SUPERUSER_NAME}`,
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      // C: byte-order collation, identical on every OS and immune to glibc collation changes.
      '--locale=C',
      '--no-instructions',
      ...(options.durable ? [] : ['--no-sync']),
    ]);
    await rm(pwfile, { force: true });
    try {
      await rename(scratchDir, paths.clusterDir);
    } catch (err) {
      // Another process racing on the same fresh data directory won; its cluster uses
      // the same password (see readOrCreatePassword), so we adopt it.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw err;
    }
  } finally {
    await rm(pwfile, { force: true });
    await rm(scratchDir, { recursive: true, force: true });
  }
}

/** Scratch directories older than this are left over from a crash, not in progress. */
const ABANDONED_AFTER_MS = 10 * 60 * 1000;

async function removeAbandonedScratchDirs(paths: ClusterPaths): Promise<void> {
  const prefix = `${basename(paths.clusterDir)}.init-`;
  for (const entry of await readdir(paths.dataDir)) {
    if (!entry.startsWith(prefix)) continue;
    const dir = join(paths.dataDir, entry);
    const info = await stat(dir).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > ABANDONED_AFTER_MS) {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/**
 * The pid of a live server already using this cluster, if any. PostgreSQL refuses
 * to start on a cluster in use anyway; checking first, before anything is created
 * or changed, gives a clearer error and keeps us from touching the running server's
 * files at all. A pid reused by another process after a crash does not count: the
 * postmaster works in its cluster directory, so its working directory must be this
 * very directory (device and inode: the server may see it under another path, in
 * its mount namespace). Elsewhere than Linux, PostgreSQL's own check decides.
 */
export async function findRunningServer(paths: ClusterPaths): Promise<number | undefined> {
  if (process.platform !== 'linux') return undefined;
  let text: string;
  try {
    text = await readFile(join(paths.clusterDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.split('\n', 1)[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const [cwd, cluster] = await Promise.all([
    stat(`/proc/${pid}/cwd`).catch(() => undefined),
    stat(paths.clusterDir).catch(() => undefined),
  ]);
  const same = cwd && cluster && cwd.dev === cluster.dev && cwd.ino === cluster.ino;
  return same ? pid : undefined;
}

/** Spelled out so the check and the message cannot drift apart. */
export function alreadyRunningError(paths: ClusterPaths, pid: number | undefined): Error {
  return new Error(
    `an embedded PostgreSQL server${pid === undefined ? '' : ` (pid ${pid})`} is already ` +
      `running on ${paths.clusterDir}: is another Bulwark using the data directory ` +
      `${paths.dataDir}? Stop it first, or give this one its own data directory`,
  );
}
