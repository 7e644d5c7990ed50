import type pg from 'pg';
import type { Logger } from 'pino';
import { queries } from '@bulwark/db';

/** A task queue record lives this long after a worker of it was last seen (Taskcluster: 1 day). */
export const TASK_QUEUE_EXPIRY_MS = 24 * 60 * 60 * 1000;

/** Each replica refreshes a queue's lastDateActive at most this often. */
const REFRESH_MS = 60 * 1000;

/** Beyond this many remembered queues the memo starts over (it is only an optimization). */
const MAX_REMEMBERED = 10_000;

/**
 * Records task queues as seen by claimWork without putting a write on every claim:
 * all workers of a queue share its row, so updating it inside the claim transaction
 * would make them wait for each other. Instead each replica writes it, outside any
 * claim, at most once a minute per queue.
 */
export class TaskQueueActivity {
  private readonly lastWritten = new Map<string, number>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {}

  /** Records the queue as seen unless this replica did so recently; never throws. */
  async seen(taskQueueId: string, now: Date): Promise<void> {
    const last = this.lastWritten.get(taskQueueId);
    if (last !== undefined && now.getTime() - last < REFRESH_MS) return;
    if (this.lastWritten.size >= MAX_REMEMBERED) this.lastWritten.clear();
    this.lastWritten.set(taskQueueId, now.getTime());
    try {
      await queries.queueTaskQueues.taskQueueSeen(
        this.pool,
        taskQueueId,
        new Date(now.getTime() + TASK_QUEUE_EXPIRY_MS),
        now,
      );
    } catch (err) {
      // Losing one activity update is harmless; losing the claim over it is not.
      this.lastWritten.delete(taskQueueId);
      this.logger.warn({ err, taskQueueId }, 'could not record task queue activity');
    }
  }
}
