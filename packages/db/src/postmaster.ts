import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import {
  describeExit,
  spawnChild,
  type ChildSpawnContext,
  type SpawnedChild,
} from './embedded-child.js';

export interface PostmasterOptions extends ChildSpawnContext {
  readonly postgres: string;
  readonly clusterDir: string;
  /** Server settings passed as `-c name=value`; they override postgresql.conf and ALTER SYSTEM. */
  readonly settings: Readonly<Record<string, string>>;
}

export function spawnPostmaster(options: PostmasterOptions): SpawnedChild {
  const args = ['-D', options.clusterDir];
  for (const [name, value] of Object.entries(options.settings)) args.push('-c', `${name}=${value}`);
  return spawnChild(options, options.postgres, args);
}

export interface ReadinessOptions {
  readonly child: SpawnedChild;
  readonly connection: pg.ClientConfig;
  readonly timeoutMs: number;
  /** Why the server stopped, read from its log, for the error message. */
  readonly describeFailure: () => Promise<string>;
}

/**
 * Waits until the server accepts an authenticated connection. Connecting is the
 * only test that means "ready" whatever the server version, locale or log format;
 * log lines are for humans.
 */
export async function waitUntilAccepting(options: ReadinessOptions): Promise<pg.Client> {
  const deadline = Date.now() + options.timeoutMs;
  let exit: string | undefined;
  void options.child.exited.then((e) => (exit = describeExit(e)));
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exit !== undefined) {
      throw new Error(
        `the embedded PostgreSQL server stopped during startup (${exit}):\n` +
          (await options.describeFailure()),
      );
    }
    const client = new pg.Client({ ...options.connection, connectionTimeoutMillis: 2000 });
    // A connection error after connect() resolved must not crash the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => undefined);
      lastError = err;
      // Wrong credentials will not fix themselves by waiting.
      if (String((err as { code?: unknown }).code).startsWith('28')) throw err;
    }
    await sleep(25);
  }
  throw new Error(
    `the embedded PostgreSQL server did not accept connections within ` +
      `${options.timeoutMs} ms:\n${await options.describeFailure()}`,
    { cause: lastError },
  );
}

/**
 * Smart shutdown first (SIGTERM): the server waits for its sessions to end, so
 * connections our pool has just closed finish on their own instead of being cut
 * with "terminating connection due to administrator command" (a pool's end() does
 * not wait for its sockets to close). A session still open after `smartMs` is a
 * leak: fast shutdown (SIGINT) then, and SIGKILL if that takes longer than `timeoutMs`.
 */
export async function stopPostmaster(
  child: SpawnedChild,
  timeoutMs: number,
  smartMs = 5000,
): Promise<void> {
  // Stopping must be awaited even when the child no longer holds the event loop open.
  child.process.ref();
  const exitedWithin = async (ms: number): Promise<boolean> => {
    const timer = sleep(ms, 'timeout' as const, { ref: false });
    return (await Promise.race([child.exited, timer])) !== 'timeout';
  };
  for (const [signal, ms] of [
    ['SIGTERM', smartMs],
    ['SIGINT', timeoutMs],
  ] as const) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) return;
    child.process.kill(signal);
    if (await exitedWithin(ms)) return;
  }
  child.process.kill('SIGKILL');
  await child.exited;
}
