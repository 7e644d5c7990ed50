import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

export interface PoolOptions {
  /** Most connections this pool opens; default 10. */
  max?: number;
  /** Shown in pg_stat_activity, to tell Bulwark's replicas and roles apart. */
  applicationName?: string;
  /** Server-side limit per statement; default 30 s. Long-running work sets its own. */
  statementTimeoutMs?: number;
  /** Called when an idle pooled connection fails; default: a warning on stderr. */
  onIdleClientError?: (err: Error) => void;
  /** Let the process exit while idle connections remain open (tests, scripts). */
  allowExitOnIdle?: boolean;
}

/**
 * A connection pool with limits that keep a stuck query or a forgotten transaction
 * from holding connections and locks forever.
 */
export function createPool(connectionString: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'bulwark',
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    // A transaction left open by a bug would block vacuum and hold row locks.
    idle_in_transaction_session_timeout: 60_000,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    allowExitOnIdle: options.allowExitOnIdle ?? false,
  });
  // Without a listener, a server restart or a dropped idle connection would be an
  // unhandled 'error' event and crash the process; the pool replaces the client.
  const onError =
    options.onIdleClientError ??
    ((err: Error) => process.emitWarning(`idle database connection failed: ${err.message}`));
  pool.on('error', onError);
  return pool;
}

export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

export interface TransactionOptions {
  /** Default: the server's default, read committed. */
  isolation?: IsolationLevel;
}

/** serialization_failure and deadlock_detected: the transaction can simply be run again. */
const RETRYABLE_CODES = new Set(['40001', '40P01']);
const MAX_RETRIES = 3;

/**
 * Runs `fn` inside BEGIN ... COMMIT on one pooled connection, rolling back if it
 * throws. A serialization failure or deadlock reruns the whole transaction, up to
 * three retries, so `fn` must not have effects outside the database that cannot
 * be repeated.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const begin = options.isolation ? `BEGIN ISOLATION LEVEL ${options.isolation}` : 'BEGIN';
  for (let retry = 0; ; retry++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(begin);
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection is unusable; passing the error makes the pool discard it.
        broken = rollbackError as Error;
      }
      const code = (err as { code?: unknown }).code;
      if (retry >= MAX_RETRIES || typeof code !== 'string' || !RETRYABLE_CODES.has(code)) {
        throw err;
      }
    } finally {
      client.release(broken);
    }
    // Jitter, so the transactions that collided do not collide again in lockstep.
    await sleep(5 + Math.random() * 20 * (retry + 1));
  }
}
