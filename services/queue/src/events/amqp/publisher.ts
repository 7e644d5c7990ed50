import type pg from 'pg';
import type { Logger } from 'pino';
import { queries } from '@bulwark/db';
import {
  loadGroupResolvedEvent,
  loadGroupSealedEvent,
  mayResolveGroup,
  type GroupEvent,
  type GroupExchange,
} from '../group-events.js';
import { loadChangeEvent, type TaskEvent } from '../task-events.js';
import { BrokerConnection, redactedUrl, type AmqpMessage } from './broker.js';
import { LeaderLock } from './leader-lock.js';
import {
  ccRoutes,
  DEFAULT_EXCHANGE_PREFIX,
  groupRoutingKey,
  TASK_EXCHANGES,
  taskRoutingKey,
} from './routing-key.js';
import { ReadLimiter } from '../read-limiter.js';

type TaskChange = queries.queueEvents.TaskChange;

/** AMQP publishing of task events; absent, nothing is published and nothing connects. */
export interface AmqpOptions {
  /** `amqp://user:password@host:port/vhost` (or `amqps://`); the password is never logged. */
  readonly url: string;
  /** Prepended to each exchange name; Taskcluster's `exchange/taskcluster-queue/v1/` by default. */
  readonly exchangePrefix?: string;
  /** How often a replica without the publisher lock tries to take it; default 5 s. */
  readonly lockRetryMs?: number;
  /** First delay before reconnecting to the broker, doubled up to reconnectMaxMs; default 1 s. */
  readonly reconnectMinMs?: number;
  /** Longest delay between reconnection attempts; default 30 s. */
  readonly reconnectMaxMs?: number;
  /** Messages kept while the broker is away (and changes being read); default 10000. */
  readonly maxBacklog?: number;
}

/** Task reads in flight at once, so a burst of changes cannot take the whole pool. */
const MAX_READS = 4;

/** Messages per confirm round trip: the broker confirms a batch about as fast as one. */
const BATCH = 100;

/** Consecutive failures of the same batch, with a channel open, before its first message is dropped. */
const MAX_BATCH_FAILURES = 5;

/** Pause after a failed publish, so a broker that refuses everything is not hammered. */
const FAILURE_PAUSE_MS = 1000;

/** Groups whose last published resolution is remembered, to send each one once. */
const REMEMBERED_GROUPS = 10_000;

/** How long stop() lets reads finish and the backlog drain before it closes the connection. */
const STOP_GRACE_MS = 2000;

type Settled<T> = { ok: T } | { err: unknown };

/** A change as read for publishing: its event, and the task's routes to CC. */
interface ReadChange {
  readonly event: TaskEvent;
  readonly routes: readonly string[];
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Publishes every task state change to AMQP, as Taskcluster's queue does to Pulse:
 * the same exchanges, routing keys, `route.<r>` CCs and bodies as the SSE events
 * (built by task-events.ts from the change and the task's state).
 *
 * Exactly one replica publishes: the holder of the publisher lock (LeaderLock), which
 * LISTENs for changes on the lock's own connection. Every replica keeps a broker
 * connection, so a replica that takes the lock over can publish at once.
 *
 * Best effort after commit, as Taskcluster's publishing is: the database is the
 * source of truth and nothing waits for the broker. A change is lost when no replica
 * listens (between a holder's death and the next one taking the lock, up to
 * lockRetryMs), when the backlog overflows (the broker away for long), and when the
 * holder stops with messages it could not deliver. A message the broker did not
 * confirm is sent again, so a consumer may see one twice.
 */
export class AmqpPublisher {
  private readonly lock: LeaderLock;
  private readonly broker: BrokerConnection;
  private readonly prefix: string;
  private readonly maxBacklog: number;
  private readonly backlog: AmqpMessage[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly reads = new ReadLimiter(MAX_READS);
  private pendingReads = 0;
  private draining = false;
  private stopping = false;
  private stopped = false;
  /** taskGroupId -> resolvedAt of the group's last published task-group-resolved. */
  private readonly groupsResolved = new Map<string, string>();
  private publishedCount = 0;
  private droppedCount = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
    options: AmqpOptions,
  ) {
    this.prefix = options.exchangePrefix ?? DEFAULT_EXCHANGE_PREFIX;
    this.maxBacklog = options.maxBacklog ?? 10_000;
    this.broker = new BrokerConnection(
      {
        url: options.url,
        exchanges: TASK_EXCHANGES.map((exchange) => this.prefix + exchange),
        reconnectMinMs: options.reconnectMinMs ?? 1000,
        reconnectMaxMs: options.reconnectMaxMs ?? 30_000,
      },
      logger,
    );
    this.lock = new LeaderLock(pool, logger, { retryMs: options.lockRetryMs ?? 5000 }, (client) =>
      this.listenOn(client),
    );
    this.logger.info(
      { broker: redactedUrl(options.url), exchangePrefix: this.prefix },
      'publishing task events to AMQP',
    );
  }

  /** Whether this replica holds the publisher lock (and so publishes). */
  get leading(): boolean {
    return this.lock.leading;
  }

  /** Whether this replica has a channel to the broker now. */
  get connected(): boolean {
    return this.broker.connected;
  }

  /** Messages the broker confirmed, since start. */
  get published(): number {
    return this.publishedCount;
  }

  /** Changes that were not published: backlog full, task unreadable, or refused by the broker. */
  get dropped(): number {
    return this.droppedCount;
  }

  start(): void {
    this.broker.start();
    this.lock.start();
  }

  /**
   * Lets the lock go at once (so another replica takes over), gives the reads under way
   * and the backlog a moment to reach the broker, then closes the connection. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.lock.stop();
    await Promise.race([this.chain, sleep(STOP_GRACE_MS)]);
    if (this.broker.connected && this.backlog.length > 0) {
      const deadline = Date.now() + STOP_GRACE_MS;
      while (this.backlog.length > 0 && this.broker.connected && Date.now() < deadline) {
        await sleep(20);
      }
    }
    this.stopped = true;
    if (this.backlog.length > 0) {
      this.drop(this.backlog.length, 'the queue stopped before the AMQP broker took them');
      this.backlog.length = 0;
    }
    await this.broker.stop();
  }

  /** Called with the lock's connection: LISTEN on it, so lock and notifications go together. */
  private async listenOn(client: pg.PoolClient): Promise<void> {
    client.on('notification', (msg) => {
      if (msg.channel === queries.queueEvents.TASK_EVENTS_CHANNEL) {
        const change = queries.queueEvents.parseTaskChange(msg.payload);
        if (change) this.onChange(change);
      } else if (msg.channel === queries.queueEvents.GROUP_EVENTS_CHANNEL) {
        const sealed = queries.queueEvents.parseGroupSealed(msg.payload);
        if (sealed) this.onGroupSealed(sealed.taskGroupId);
      }
    });
    await client.query(`LISTEN ${queries.queueEvents.TASK_EVENTS_CHANNEL}`);
    await client.query(`LISTEN ${queries.queueEvents.GROUP_EVENTS_CHANNEL}`);
  }

  /**
   * Reads the task (a few at a time) and appends the message to the backlog in the
   * order the changes were announced, which is commit order: a task's messages leave
   * in the order its changes happened.
   */
  private onChange(change: TaskChange): void {
    if (this.stopping) return;
    if (this.pendingReads + this.backlog.length >= this.maxBacklog) {
      this.drop(1, 'the AMQP backlog is full');
      return;
    }
    this.pendingReads += 1;
    // Settled at once, so a failed read is never an unhandled rejection while it
    // waits for the reads before it.
    const read: Promise<Settled<ReadChange | undefined>> = this.reads
      .run(() => this.readChange(change))
      .then(
        (ok) => ({ ok }),
        (err: unknown) => ({ err }),
      );
    this.chain = this.chain.then(async () => {
      const result = await read;
      this.pendingReads -= 1;
      if ('err' in result) {
        this.logger.error(
          { err: result.err, taskId: change.taskId },
          'task event not read for AMQP',
        );
        this.drop(1, 'the task could not be read');
        return;
      }
      // A task already expired and deleted has nobody left to tell.
      if (!result.ok || this.stopped) return;
      this.backlog.push(this.messageOf(result.ok));
      this.kick();
      if (mayResolveGroup(change)) await this.publishGroupResolution(change.taskGroupId);
    });
  }

  /** task-group-sealed, in the chain: after the messages of changes announced before it. */
  private onGroupSealed(taskGroupId: string): void {
    if (this.stopping) return;
    if (this.pendingReads + this.backlog.length >= this.maxBacklog) {
      this.drop(1, 'the AMQP backlog is full');
      return;
    }
    this.pendingReads += 1;
    this.chain = this.chain.then(async () => {
      this.pendingReads -= 1;
      let event: GroupEvent<'task-group-sealed'> | undefined;
      try {
        event = await this.reads.run(() => loadGroupSealedEvent(this.pool, taskGroupId));
      } catch (err) {
        this.logger.error({ err, taskGroupId }, 'task group seal not read for AMQP');
        this.drop(1, 'the task group could not be read');
        return;
      }
      if (event && !this.stopped) this.pushGroupEvent(event);
    });
  }

  private pushGroupEvent(event: GroupEvent<GroupExchange>): void {
    this.backlog.push({
      exchange: this.prefix + event.exchange,
      routingKey: groupRoutingKey(event),
      cc: [],
      body: Buffer.from(JSON.stringify(event.body)),
    });
    this.kick();
  }

  /**
   * After a run's resolution, in the chain (so behind that resolution's own message):
   * task-group-resolved when the group has no unresolved task left. Changes are read
   * after they commit, so the last resolution of a group always sees it resolved; two
   * resolutions read together see the same one, which is sent once.
   */
  private async publishGroupResolution(taskGroupId: string): Promise<void> {
    let event: GroupEvent | undefined;
    try {
      event = await this.reads.run(() => loadGroupResolvedEvent(this.pool, taskGroupId));
    } catch (err) {
      this.logger.error({ err, taskGroupId }, 'task group resolution not read for AMQP');
      this.drop(1, 'the task group could not be read');
      return;
    }
    if (!event || this.stopped || this.groupsResolved.get(taskGroupId) === event.resolvedAt) return;
    this.groupsResolved.delete(taskGroupId);
    this.groupsResolved.set(taskGroupId, event.resolvedAt);
    if (this.groupsResolved.size > REMEMBERED_GROUPS) {
      const oldest = this.groupsResolved.keys().next().value;
      if (oldest !== undefined) this.groupsResolved.delete(oldest);
    }
    this.pushGroupEvent(event);
  }

  /**
   * The event as the SSE streams send it, and the task's routes to CC it to. An s3
   * artifact is not announced: Taskcluster's artifact-created schema has no s3 (its
   * queue never sends one), and a message its consumers' validation refuses is worse
   * than none. The task's event stream still announces it.
   */
  private async readChange(change: TaskChange): Promise<ReadChange | undefined> {
    const read = await loadChangeEvent(this.pool, change);
    if (read?.event.body.artifact?.storageType === 's3') return undefined;
    return read && { event: read.event, routes: read.task.routes };
  }

  private messageOf({ event, routes }: ReadChange): AmqpMessage {
    const { cc, skipped } = ccRoutes(routes);
    if (skipped.length > 0) {
      this.logger.warn(
        { taskId: event.taskId, routes: skipped },
        'routes too long for an AMQP routing key were not CCed',
      );
    }
    return {
      exchange: this.prefix + event.exchange,
      routingKey: taskRoutingKey(event),
      cc,
      body: Buffer.from(JSON.stringify(event.body)),
    };
  }

  /** Sends the backlog, oldest first, a confirmed batch at a time, waiting out the broker. */
  private kick(): void {
    if (this.draining) return;
    this.draining = true;
    void this.drain().finally(() => (this.draining = false));
  }

  private async drain(): Promise<void> {
    let failures = 0;
    while (this.backlog.length > 0 && !this.stopped) {
      await this.broker.ready();
      if (this.stopped) return;
      const batch = this.backlog.slice(0, BATCH);
      try {
        await this.broker.publish(batch);
      } catch (err) {
        // The batch stays at the head of the backlog and goes again once the
        // broker is back; what it had already taken arrives twice.
        failures = this.broker.connected ? failures + 1 : 0;
        if (failures >= MAX_BATCH_FAILURES) {
          const [poison] = this.backlog.splice(0, 1);
          this.logger.error(
            { err, exchange: poison?.exchange, routingKey: poison?.routingKey },
            'the AMQP broker keeps refusing a task event; dropped it',
          );
          this.drop(1, undefined);
          failures = 0;
        }
        await sleep(FAILURE_PAUSE_MS);
        continue;
      }
      failures = 0;
      this.backlog.splice(0, batch.length);
      this.publishedCount += batch.length;
    }
  }

  /** Counts lost messages; logs the first of a run of losses and then every thousandth. */
  private drop(count: number, reason: string | undefined): void {
    const before = this.droppedCount;
    this.droppedCount += count;
    if (reason === undefined) return;
    if (before === 0 || Math.floor(before / 1000) !== Math.floor(this.droppedCount / 1000)) {
      this.logger.warn({ dropped: this.droppedCount, reason }, 'task events not published to AMQP');
    }
  }
}
