import type pg from 'pg';
import type { Logger } from 'pino';
import { ApiError } from '@bulwark/api';
import { queries } from '@bulwark/db';
import { taskStatusJson } from '../domain/task-status.js';
import { ChangeListener } from './change-listener.js';
import { EventStream, type EventStreamLimits, type StreamFilter } from './event-stream.js';
import { loadGroupResolvedEvent, mayResolveGroup } from './group-events.js';
import {
  historyOf,
  latestEventOf,
  loadChangeEvent,
  loadTaskState,
  type TaskEvent,
  type TaskState,
} from './task-events.js';
import { ReadLimiter } from './read-limiter.js';

type TaskChange = queries.queueEvents.TaskChange;

export interface TaskEventBusOptions extends EventStreamLimits {
  /** Open streams this replica serves at most. */
  readonly maxSubscribers: number;
  /** Open streams one clientId may hold on this replica. */
  readonly maxSubscribersPerClient: number;
  /** How long the LISTEN connection outlives the last subscriber. */
  readonly listenerLingerMs: number;
}

export const DEFAULT_EVENT_OPTIONS: TaskEventBusOptions = Object.freeze({
  maxSubscribers: 1000,
  maxSubscribersPerClient: 100,
  heartbeatMs: 15_000,
  maxLifetimeMs: 60 * 60 * 1000,
  maxBufferedBytes: 4 * 1024 * 1024,
  retryMs: 3000,
  listenerLingerMs: 30_000,
});

/** Tasks per page when a group stream catches up; the next page waits for the client. */
const GROUP_PAGE = 100;

/** Reads of changed tasks in flight at once; the rest wait their turn, in order. */
const MAX_READS = 4;

function sendHistory(stream: EventStream, state: TaskState): void {
  for (const event of historyOf(state)) stream.send(event);
}

/**
 * This replica's task events: the streams open here, indexed by the task or group they
 * follow. A change announced by the database (from any replica) is read once, and
 * only when some stream here follows that task or its group, then fanned out. Reads
 * for one task are chained, so its events leave in the order they happened.
 */
export class TaskEventBus {
  private readonly byTask = new Map<string, Set<EventStream>>();
  private readonly byGroup = new Map<string, Set<EventStream>>();
  private readonly perClient = new Map<string, number>();
  private readonly reads = new Map<string, Promise<void>>();
  /** Groups whose resolution is being read; `again` when another change came meanwhile. */
  private readonly groupChecks = new Map<string, { again: boolean }>();
  private readonly listener: ChangeListener;
  private readonly readLimiter = new ReadLimiter(MAX_READS);
  private count = 0;
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
    private readonly options: TaskEventBusOptions = DEFAULT_EVENT_OPTIONS,
  ) {
    this.listener = new ChangeListener(
      pool,
      logger,
      options.listenerLingerMs,
      (change) => this.onChange(change),
      () => this.resyncAll(),
      () => this.count > 0,
    );
  }

  /** Open streams on this replica. */
  get subscriberCount(): number {
    return this.count;
  }

  /** Whether this replica currently holds its LISTEN connection. */
  get listening(): boolean {
    return this.listener.listening;
  }

  /**
   * Registers a stream and returns once this replica hears every change committed from
   * now on, so the caller's read of the current state cannot miss one. The caller
   * must start() it or close() it.
   */
  async open(filter: StreamFilter, clientId: string): Promise<EventStream> {
    if (this.stopped) throw new ApiError('InternalServerError', 'The queue is shutting down');
    if (this.count >= this.options.maxSubscribers) {
      throw new ApiError('TooManyRequests', 'This server has no room for another event stream');
    }
    const held = this.perClient.get(clientId) ?? 0;
    if (held >= this.options.maxSubscribersPerClient) {
      throw new ApiError(
        'TooManyRequests',
        `Client ${clientId} already has ${held} event streams open here`,
      );
    }
    const stream = new EventStream(filter, clientId, this.options, (closed, why) =>
      this.remove(closed, why),
    );
    this.count += 1;
    this.perClient.set(clientId, held + 1);
    const [index, key] = this.indexOf(filter);
    let set = index.get(key);
    if (!set) index.set(key, (set = new Set()));
    set.add(stream);
    try {
      await this.listener.acquire();
    } catch (err) {
      stream.close();
      throw err;
    }
    return stream;
  }

  /** Starts a task's stream with its history (after the client's Last-Event-ID, if any). */
  startTaskStream(stream: EventStream, state: TaskState): void {
    stream.start(() => Promise.resolve(sendHistory(stream, state)));
  }

  /** Starts a group's stream with each of its tasks where it stands now. */
  startGroupStream(stream: EventStream, taskGroupId: string): void {
    stream.start(() => this.catchUpGroup(stream, taskGroupId));
  }

  /** Sends each task of the group where it stands now, a page at a time. */
  private async sendGroup(stream: EventStream, taskGroupId: string): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const tasks = await queries.queueGroups.listTasksInGroup(this.pool, taskGroupId, {
        after,
        limit: GROUP_PAGE,
      });
      if (tasks.length === 0 || stream.closed) return;
      const runs = await queries.queueRuns.getRunsOfTasks(
        this.pool,
        tasks.map((t) => t.taskId),
      );
      for (const task of tasks) {
        const status = taskStatusJson(task, runs.get(task.taskId) ?? []);
        stream.send(latestEventOf({ task, status }));
      }
      if (tasks.length < GROUP_PAGE) break;
      after = tasks[tasks.length - 1]?.taskId;
      await stream.drained();
    }
    // Where the group stands now includes whether it is resolved.
    const resolved = await loadGroupResolvedEvent(this.pool, taskGroupId);
    if (resolved) stream.send(resolved);
  }

  /** Ends every stream (clients reconnect elsewhere) and stops listening. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.listener.stop();
    // close() removes each stream from these sets: iterate over copies.
    for (const index of [this.byTask, this.byGroup]) {
      for (const set of [...index.values()]) for (const stream of [...set]) stream.close();
    }
  }

  private indexOf(filter: StreamFilter): [Map<string, Set<EventStream>>, string] {
    return 'taskId' in filter ? [this.byTask, filter.taskId] : [this.byGroup, filter.taskGroupId];
  }

  private remove(stream: EventStream, why: string | undefined): void {
    const [index, key] = this.indexOf(stream.filter);
    const set = index.get(key);
    if (!set?.delete(stream)) return;
    if (set.size === 0) index.delete(key);
    this.count -= 1;
    const held = (this.perClient.get(stream.clientId) ?? 1) - 1;
    if (held > 0) this.perClient.set(stream.clientId, held);
    else this.perClient.delete(stream.clientId);
    if (why !== undefined) {
      this.logger.warn({ clientId: stream.clientId, reason: why }, 'task event stream cut off');
    }
    if (this.count === 0) this.listener.idle();
  }

  private streamsFor(change: TaskChange): EventStream[] {
    return [
      ...(this.byTask.get(change.taskId) ?? []),
      ...(this.byGroup.get(change.taskGroupId) ?? []),
    ];
  }

  private onChange(change: TaskChange): void {
    if (this.streamsFor(change).length === 0) return;
    const previous = this.reads.get(change.taskId) ?? Promise.resolve();
    const next = previous.then(() => this.deliver(change));
    this.reads.set(change.taskId, next);
    void next.then(() => {
      if (this.reads.get(change.taskId) === next) this.reads.delete(change.taskId);
    });
  }

  /** Never rejects: a failed read cuts off the streams that would have missed the event. */
  private async deliver(change: TaskChange): Promise<void> {
    let event: TaskEvent | undefined;
    try {
      event = (await this.readLimiter.run(() => loadChangeEvent(this.pool, change)))?.event;
    } catch (err) {
      this.logger.error({ err }, 'task event could not be read');
      for (const stream of this.streamsFor(change)) stream.abort('event could not be read');
      return;
    }
    if (!event) return;
    const ready = event;
    // Streams that arrived during the read get the event too: their own catch-up
    // may have read the task before this change.
    for (const stream of this.streamsFor(change)) stream.enqueue(() => stream.send(ready));
    if (mayResolveGroup(change)) this.checkGroupResolved(change.taskGroupId);
  }

  /**
   * After a run's resolution, tells the group's streams if the group is now resolved.
   * One read per group at a time; changes arriving meanwhile ask for one more read, so
   * the last resolution is always checked after it committed. The check is queued
   * behind the resolution's own event on every stream, so it arrives after it.
   */
  private checkGroupResolved(taskGroupId: string): void {
    const running = this.groupChecks.get(taskGroupId);
    if (running) {
      running.again = true;
      return;
    }
    const check = { again: false };
    this.groupChecks.set(taskGroupId, check);
    const loop = async (): Promise<void> => {
      do {
        check.again = false;
        if (!this.byGroup.get(taskGroupId)?.size) return;
        const event = await this.readLimiter.run(() =>
          loadGroupResolvedEvent(this.pool, taskGroupId),
        );
        if (!event) continue;
        for (const stream of this.byGroup.get(taskGroupId) ?? []) {
          stream.enqueue(() => stream.send(event));
        }
      } while (check.again);
    };
    void loop()
      .catch((err: unknown) => {
        this.logger.error({ err }, 'task group resolution could not be read');
        for (const stream of this.byGroup.get(taskGroupId) ?? []) {
          stream.abort('event could not be read');
        }
      })
      .finally(() => this.groupChecks.delete(taskGroupId));
  }

  /** After a lost LISTEN connection: changes may have been missed, so read them again. */
  private resyncAll(): void {
    for (const set of this.byTask.values()) {
      for (const stream of set) {
        const { taskId } = stream.filter as { taskId: string };
        stream.enqueue(() => this.catchUpTask(stream, taskId));
      }
    }
    for (const [taskGroupId, set] of this.byGroup) {
      for (const stream of set) stream.enqueue(() => this.catchUpGroup(stream, taskGroupId));
    }
  }

  private async catchUpTask(stream: EventStream, taskId: string): Promise<void> {
    const state = await this.logged(loadTaskState(this.pool, taskId));
    if (state) sendHistory(stream, state);
  }

  private catchUpGroup(stream: EventStream, taskGroupId: string): Promise<void> {
    return this.logged(this.sendGroup(stream, taskGroupId));
  }

  private async logged<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (err) {
      this.logger.error({ err }, 'task event stream could not catch up');
      throw err;
    }
  }
}
