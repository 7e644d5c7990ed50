import type pg from 'pg';
import type { Logger } from 'pino';
import { queries } from '@bulwark/db';

type TaskChange = queries.queueEvents.TaskChange;

const RECONNECT_DELAY_MS = 1000;

/**
 * This replica's LISTEN on the task events channel. It holds a connection only while
 * somebody on this replica watches (and for `lingerMs` after the last one leaves, so
 * a reconnecting client does not make it churn): an unwatched replica spends no
 * connection of its pool on events. A lost connection is re-established as
 * WorkWaiters does; changes announced meanwhile are lost, so once it listens again
 * `onResync` tells the bus to bring every stream up to date from the database.
 */
export class ChangeListener {
  private client: pg.PoolClient | undefined;
  private connecting: Promise<void> | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private missed = false;
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
    private readonly lingerMs: number,
    private readonly onChange: (change: TaskChange) => void,
    private readonly onResync: () => void,
    private readonly isWanted: () => boolean,
  ) {}

  /** Resolves once this replica listens: changes committed from then on reach onChange. */
  acquire(): Promise<void> {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.stopped) return Promise.reject(new Error('the event bus is stopped'));
    if (this.client) return Promise.resolve();
    this.connecting ??= this.listen().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Nobody watches any more: let the connection go after the linger time. */
  idle(): void {
    if (this.stopped || this.lingerTimer) return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      if (!this.isWanted()) this.disconnect();
    }, this.lingerMs).unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.lingerTimer);
    clearTimeout(this.reconnectTimer);
    this.disconnect();
  }

  get listening(): boolean {
    return this.client !== undefined;
  }

  private disconnect(): void {
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('notification');
      client.release(true);
    }
  }

  private async listen(): Promise<void> {
    const client = await this.pool.connect();
    client.on('notification', (msg) => {
      if (msg.channel !== queries.queueEvents.TASK_EVENTS_CHANNEL) return;
      const change = queries.queueEvents.parseTaskChange(msg.payload);
      if (change) this.onChange(change);
    });
    client.on('error', (err) => {
      if (this.client !== client) return;
      this.logger.warn({ err }, 'task events listener lost; reconnecting');
      this.disconnect();
      this.missed = true;
      this.scheduleReconnect();
    });
    try {
      await client.query(`LISTEN ${queries.queueEvents.TASK_EVENTS_CHANNEL}`);
    } catch (err) {
      client.release(true);
      throw err;
    }
    if (this.stopped) {
      client.release(true);
      throw new Error('the event bus is stopped');
    }
    this.client = client;
    if (this.missed) {
      this.missed = false;
      this.onResync();
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      // Nobody left to bring up to date: listen again with the next subscriber.
      if (this.stopped || this.client || !this.isWanted()) {
        this.missed = false;
        return;
      }
      this.acquire().catch((err: unknown) => {
        this.logger.error({ err }, 'task events listener could not reconnect');
        this.scheduleReconnect();
      });
    }, RECONNECT_DELAY_MS).unref();
  }
}
