import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type pg from 'pg';
import { socketConnectionString } from './connection-string.js';
import { resolvePostgresBinaries } from './embedded-binaries.js';
import {
  alreadyRunningError,
  clusterPaths,
  findRunningServer,
  initializeCluster,
  isClusterInitialized,
  readOrCreatePassword,
  readPassword,
  SUPERUSER_NAME,
  type ClusterPaths,
} from './embedded-cluster.js';
import { spawnPostmaster, stopPostmaster, waitUntilAccepting } from './postmaster.js';
import { ensurePrivateDir } from './private-files.js';
import { ServerLog } from './server-log.js';
import { assertTraversableBy, resolveServerUser, type ServerUser } from './server-user.js';

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
 * authenticates with scram-sha-256 and a random password kept in a 0600 file.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedServerOptions,
): Promise<EmbeddedServer> {
  const startedAt = performance.now();
  const durable = options.durable ?? true;
  const paths = clusterPaths(resolve(options.dataDir));
  const [binaries, user] = await Promise.all([resolvePostgresBinaries(), resolveServerUser()]);
  const running = await findRunningServer(paths);
  if (running !== undefined) throw alreadyRunningError(paths, running);
  await prepareDataDir(paths, user);
  if (user) {
    await assertTraversableBy(user, binaries.installDir, 'the PostgreSQL binaries');
    await assertTraversableBy(user, tmpdir(), 'the temporary directory for its socket');
  }

  const log = await ServerLog.open(paths.logFile);
  // A fresh short path per start: socket paths are limited to ~107 bytes, and a
  // per-start directory cannot collide with another server's socket.
  const socketDir = await mkdtemp(join(tmpdir(), 'bulwark-pg-'));
  try {
    if (user) await chown(socketDir, user.uid, user.gid);
    const context = { user, log, runtimeDir: socketDir };
    let initdbMs: number | undefined;
    let password: string;
    if (await isClusterInitialized(paths)) {
      password = await readPassword(paths);
    } else {
      const initdbStartedAt = performance.now();
      password = await readOrCreatePassword(paths);
      await initializeCluster({
        ...context,
        paths,
        initdb: binaries.initdb,
        password,
        durable,
      });
      initdbMs = Math.round(performance.now() - initdbStartedAt);
    }

    const logFrom = await log.offset();
    const child = spawnPostmaster({
      ...context,
      postgres: binaries.postgres,
      clusterDir: paths.clusterDir,
      settings: serverSettings(socketDir, durable),
    });
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopping ??= stopPostmaster(child, STOP_TIMEOUT_MS).finally(() =>
        rm(socketDir, { recursive: true, force: true }),
      ));
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
        connection: { host: socketDir, user: SUPERUSER_NAME, password, database: 'postgres' },
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
      await rm(socketDir, { recursive: true, force: true }).catch(() => undefined);
    });
    const startMs = Math.round(performance.now() - startedAt);
    options.logger?.info(
      { dataDir: paths.dataDir, initdbMs, startMs },
      'embedded PostgreSQL is ready',
    );
    const connectionString = socketConnectionString({
      socketDir,
      user: SUPERUSER_NAME,
      password,
      database: EMBEDDED_DATABASE,
    });
    return { connectionString, stop };
  } catch (err) {
    await rm(socketDir, { recursive: true, force: true });
    throw err;
  } finally {
    // The server writes through its own copy of the descriptor.
    await log.close();
  }
}

/**
 * Makes the data directory private (S11). As root the server user must still pass
 * through it to reach its cluster, so it gets 0711: traversable, not listable, and
 * every file in it stays 0600 or inside a 0700 directory.
 */
async function prepareDataDir(paths: ClusterPaths, user: ServerUser | undefined): Promise<void> {
  await ensurePrivateDir(paths.dataDir, user ? 0o711 : 0o700);
  if (user) await assertTraversableBy(user, paths.dataDir, `its data directory ${paths.dataDir}`);
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
