import type pg from 'pg';
import type { Logger } from 'pino';

/**
 * The advisory lock whose holder publishes to AMQP: "bulwamqp" read as a 64-bit
 * integer, distinct from the migration lock and the audit chain's lock. Advisory locks
 * belong to one database, so deployments sharing a PostgreSQL cluster do not contend.
 */
export const AMQP_PUBLISHER_LOCK_KEY = '7094696047983554928';

/** How long stop() waits for an attempt to take the lock that is under way. */
const STOP_WAIT_MS = 1000;

/** How long the holder's liveness check may take before its connection counts as dead. */
const CHECK_TIMEOUT_MS = 5000;

export interface LeaderLockOptions {
  /** How often a replica without the lock tries to take it, and the holder checks its connection. */
  readonly retryMs: number;
}

/**
 * Makes exactly one replica the holder of a session-level advisory lock, on a connection
 * of its own that it keeps for as long as it holds it. The others try again every
 * `retryMs`, so when the holder's process dies, or its connection does, PostgreSQL
 * ends the session, drops the lock, and another replica takes it within `retryMs`.
 *
 * A session lock rather than a lease row, because PostgreSQL itself releases it the
 * moment the session ends: no expiry to tune, no clock to trust. The holder hands its
 * connection to `onLead`, which should LISTEN on it: then the lock and the
 * notifications live and die together, and a holder that lost one has lost both.
 * The holder runs a query on it every `retryMs`, because a connection can die without
 * a word (a network partition, a killed backend behind a proxy); when that query fails
 * or hangs, the holder ends the session and stops. Two holders can never publish the
 * same change: whichever session the server no longer has hears no more notifications.
 */
export class LeaderLock {
  private client: pg.PoolClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private failures = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
    private readonly options: LeaderLockOptions,
    private readonly onLead: (client: pg.PoolClient) => Promise<void>,
  ) {}

  /** Whether this replica holds the lock now. */
  get leading(): boolean {
    return this.client !== undefined;
  }

  start(): void {
    this.schedule(0);
  }

  /** Lets the lock go (by ending the session) and stops trying. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    // An attempt under way may wait for a pool connection (up to the pool's connect
    // timeout); shutdown need not wait that long: once it has one it sees `stopped`
    // and ends the session, lock and all.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.running,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS))),
    ]);
    clearTimeout(timer);
    this.letGo(undefined);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = (this.client ? this.check() : this.tryTake()).finally(() => {
        this.running = undefined;
        this.schedule(this.options.retryMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async tryTake(): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      this.logFailure(err);
      return;
    }
    // Attached at once: an 'error' event on a checked-out client with no listener
    // would crash the process.
    const onError = (err: Error): void => {
      if (this.client === client) this.letGo(err);
    };
    client.on('error', onError);
    let locked = false;
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1) AS locked',
        [AMQP_PUBLISHER_LOCK_KEY],
      );
      locked = rows[0]?.locked === true;
    } catch (err) {
      client.removeListener('error', onError);
      client.release(true);
      this.logFailure(err);
      return;
    }
    this.failures = 0;
    if (!locked || this.stopped) {
      client.removeListener('error', onError);
      // Without the lock the session holds nothing: the connection goes back to the
      // pool. Having just taken it while stopping, the session must end to let it go.
      client.release(locked ? true : undefined);
      return;
    }
    this.client = client;
    this.logger.info('this replica now publishes task events to AMQP');
    try {
      await this.onLead(client);
    } catch (err) {
      this.letGo(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private async check(): Promise<void> {
    const client = this.client;
    if (!client) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
        CHECK_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([client.query('SELECT 1'), timeout]);
    } catch (err) {
      if (this.client === client) this.letGo(err instanceof Error ? err : new Error(String(err)));
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Ends the holder's session, which releases the lock and stops its notifications: the
   * publisher needs no word of it, since no change reaches it any more.
   */
  private letGo(err: Error | undefined): void {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    client.release(true);
    if (err) {
      this.logger.warn({ err }, 'lost the AMQP publisher lock; another replica will take it');
    }
  }

  /** The first failure and every tenth: a database away for long must not flood the log. */
  private logFailure(err: unknown): void {
    if (this.failures % 10 === 0) {
      this.logger.warn({ err }, 'cannot try the AMQP publisher lock; retrying');
    }
    this.failures += 1;
  }
}
