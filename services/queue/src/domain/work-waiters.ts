import type pg from 'pg';
import type { Logger } from 'pino';
import { queries } from '@bulwark/db';

const RECONNECT_DELAY_MS = 1000;

/**
 * One claimWork call's interest in a task queue. Created before the call's first
 * claim attempt, so a notification that arrives while that attempt runs is kept and
 * the next wait returns at once instead of missing the new task.
 */
export class QueueWatch {
  private notified = false;
  private wake: (() => void) | undefined;

  constructor(private readonly onClose: (watch: QueueWatch) => void) {}

  notify(): void {
    if (this.wake) this.wake();
    else this.notified = true;
  }

  /** Resolves at the next notification (or at once if one came since), after `ms`, or on abort. */
  next(ms: number, signal: AbortSignal): Promise<void> {
    if (this.notified || signal.aborted) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  close(): void {
    this.wake?.();
    this.onClose(this);
  }
}

/**
 * Wakes waiting claimWork calls when their queue gains pending work. Every replica
 * LISTENs on the queue channel, and the transaction that makes a run pending
 * NOTIFYs it, so a worker waiting on any replica hears of a task created on any other.
 */
export class WorkWaiters {
  private readonly watches = new Map<string, Set<QueueWatch>>();
  private listener: pg.PoolClient | undefined;
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.listen();
  }

  /** True once stopped: waiting claimWork calls then answer at once. */
  get closed(): boolean {
    return this.stopped;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const listener = this.listener;
    this.listener = undefined;
    if (listener) {
      listener.removeAllListeners('notification');
      listener.release(true);
    }
    this.wakeAll();
  }

  watch(taskQueueId: string): QueueWatch {
    const watch = new QueueWatch((closed) => {
      const set = this.watches.get(taskQueueId);
      set?.delete(closed);
      if (set?.size === 0) this.watches.delete(taskQueueId);
    });
    let set = this.watches.get(taskQueueId);
    if (!set) this.watches.set(taskQueueId, (set = new Set()));
    set.add(watch);
    return watch;
  }

  /**
   * Every waiting call looks again at once: after a lost notification, or when a test
   * moved the queue's clock past their timeout.
   */
  wakeAll(): void {
    for (const set of this.watches.values()) for (const watch of set) watch.notify();
  }

  private async listen(): Promise<void> {
    const listener = await this.pool.connect();
    listener.on('notification', (msg) => {
      if (msg.channel !== queries.queueRuns.QUEUE_CHANNEL) return;
      for (const watch of this.watches.get(msg.payload ?? '') ?? []) watch.notify();
    });
    listener.on('error', (err) => {
      if (this.listener !== listener) return;
      this.logger.warn({ err }, 'queue notification listener lost; reconnecting');
      listener.release(true);
      this.listener = undefined;
      // Notifications may have been missed meanwhile: let every waiter look again.
      this.wakeAll();
      this.reconnect();
    });
    await listener.query(`LISTEN ${queries.queueRuns.QUEUE_CHANNEL}`);
    this.listener = listener;
  }

  private reconnect(): void {
    if (this.stopped) return;
    setTimeout(() => {
      if (this.stopped) return;
      this.listen().catch((err: unknown) => {
        this.logger.error({ err }, 'queue notification listener could not reconnect');
        this.reconnect();
      });
    }, RECONNECT_DELAY_MS).unref();
  }
}
