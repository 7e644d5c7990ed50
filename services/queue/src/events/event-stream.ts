import { Readable } from 'node:stream';
import type { GroupEvent } from './group-events.js';
import { eventId, type TaskEvent } from './task-events.js';

/** What a stream follows: one task, or every task of one group. */
export type StreamFilter = { taskId: string } | { taskGroupId: string };

export interface EventStreamLimits {
  /** A comment line this often keeps proxies and clients from timing the stream out. */
  readonly heartbeatMs: number;
  /** The stream ends after this long; EventSource reconnects and resumes. */
  readonly maxLifetimeMs: number;
  /** A client that reads slower than events arrive is cut off past this backlog. */
  readonly maxBufferedBytes: number;
  /** How long EventSource waits before reconnecting (the `retry:` field). */
  readonly retryMs: number;
}

const HIGH_WATER_MARK = 64 * 1024;
const RESOLUTIONS: ReadonlySet<string> = new Set([
  'task-completed',
  'task-failed',
  'task-exception',
]);

/**
 * One subscriber's server-sent event stream. Everything it sends passes through one
 * queue of work, started only once the subscriber's first catch-up is queued, so
 * events arrive in the order the bus produced them and never before the history. It
 * remembers the last position it sent per task and drops anything at or before it,
 * which makes live events that race with a catch-up harmless.
 */
export class EventStream {
  readonly readable: Readable;
  private readonly sent = new Map<string, number>();
  /** task-group-resolved was sent and no task of the group has moved since. */
  private groupResolvedSent = false;
  private chain: Promise<void>;
  private openGate: () => void = () => undefined;
  private readonly drainWaiters: (() => void)[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private ended = false;

  constructor(
    readonly filter: StreamFilter,
    readonly clientId: string,
    private readonly limits: EventStreamLimits,
    private readonly onClose: (stream: EventStream, why: string | undefined) => void,
  ) {
    this.readable = new Readable({
      highWaterMark: HIGH_WATER_MARK,
      read: () => this.wakeDrainWaiters(),
    });
    // The client went away, the response failed, or we ended it: either way, leave the bus.
    this.readable.once('close', () => this.finish(undefined));
    this.chain = new Promise((resolve) => (this.openGate = resolve));
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Positions up to here were seen by the client before (Last-Event-ID). */
  resumeAfter(taskId: string, position: number): void {
    this.sent.set(taskId, position);
  }

  /** Begins the stream: `first` (the catch-up) runs before anything queued meanwhile. */
  start(first: () => Promise<void>): void {
    this.write(`retry: ${this.limits.retryMs}\n\n`);
    this.timers.push(
      setInterval(() => this.write(': heartbeat\n\n'), this.limits.heartbeatMs).unref(),
      setTimeout(() => this.close(), this.limits.maxLifetimeMs).unref(),
    );
    void this.run(first).finally(this.openGate);
  }

  /** Queues work behind everything queued before it; a failure ends the stream. */
  enqueue(work: () => Promise<void> | void): void {
    this.chain = this.chain.then(() => this.run(work));
  }

  /**
   * Sends the event unless the client already has it or a later change of its task.
   * Events without a position (artifact-created, task-group-resolved) go without an
   * id, live only; a group's resolution is sent once until one of its tasks moves again.
   */
  send(event: TaskEvent | GroupEvent): void {
    if (this.ended) return;
    let id = '';
    if (event.exchange === 'task-group-resolved') {
      if (this.groupResolvedSent) return;
      this.groupResolvedSent = true;
    } else if (event.position !== undefined) {
      const last = this.sent.get(event.taskId) ?? -1;
      if (event.position <= last) return;
      this.sent.set(event.taskId, event.position);
      id = `id: ${eventId(event.taskId, event.position)}\n`;
      if (!RESOLUTIONS.has(event.exchange)) this.groupResolvedSent = false;
    }
    this.write(`${id}event: ${event.exchange}\ndata: ${JSON.stringify(event.body)}\n\n`);
  }

  /** Resolves once the client has read the backlog down (or the stream ended). */
  drained(): Promise<void> {
    if (this.ended || this.readable.readableLength < HIGH_WATER_MARK) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Ends the stream after what is already written; the client sees a clean end. */
  close(): void {
    if (this.ended) return;
    this.readable.push(null);
    this.finish(undefined);
  }

  /** Cuts the stream off at once (a client that does not keep up, a failed catch-up). */
  abort(why: string): void {
    if (this.ended) return;
    this.finish(why);
    this.readable.destroy();
  }

  private async run(work: () => Promise<void> | void): Promise<void> {
    if (this.ended) return;
    try {
      await work();
    } catch {
      // The bus logged why; the client reconnects and catches up from its last event.
      this.abort('catch-up failed');
    }
  }

  private write(text: string): void {
    if (this.ended) return;
    this.readable.push(text);
    if (this.readable.readableLength > this.limits.maxBufferedBytes) {
      this.abort('client does not keep up');
    }
  }

  private finish(why: string | undefined): void {
    if (this.ended) return;
    this.ended = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.wakeDrainWaiters();
    this.onClose(this, why);
  }

  private wakeDrainWaiters(): void {
    for (const wake of this.drainWaiters.splice(0)) wake();
  }
}
