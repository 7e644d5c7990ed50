import type { Logger } from 'pino';
import type { RunCredentials } from '../proxy/run-credentials.js';
import { statusOf, type Claim, type WorkerQueue } from './queue-api.js';

/** Reclaim this long before takenUntil, as generic-worker does. */
const RECLAIM_MARGIN_MS = 3 * 60_000;
/** Never sooner than this after the last (re)claim, however short the claim. */
const MIN_RECLAIM_DELAY_MS = 1_000;

/**
 * Keeps a claim alive while its task runs: reclaims ahead of takenUntil, hands the
 * fresh credentials to whoever needs them (the task's proxy), and aborts the run the
 * moment the queue says it is no longer ours (409: canceled, deadline, expired).
 */
export class RunLease {
  readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private claim: Claim,
    private readonly queue: WorkerQueue,
    private readonly onCredentials: (credentials: RunCredentials) => void,
    private readonly logger: Logger,
  ) {
    this.schedule();
    // The deadline ends the run whatever the claim says.
    const untilDeadline = Date.parse(claim.task.deadline) - Date.now();
    const deadlineTimer = setTimeout(() => this.lose('deadline'), Math.max(0, untilDeadline));
    deadlineTimer.unref();
    this.abort.signal.addEventListener('abort', () => clearTimeout(deadlineTimer));
  }

  /** The claim as it stands now (its credentials change on every reclaim). */
  get current(): Claim {
    return this.claim;
  }

  /** Why the run was taken away, if it was. */
  get lostReason(): string | undefined {
    return this.abort.signal.aborted ? String(this.abort.signal.reason) : undefined;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    const claimMs = this.claim.takenUntil.getTime() - Date.now();
    // Short claims (tests, busy queues) reclaim at half their length instead.
    const delay = Math.max(
      MIN_RECLAIM_DELAY_MS,
      Math.min(claimMs - RECLAIM_MARGIN_MS, claimMs / 2),
    );
    this.timer = setTimeout(() => void this.reclaim(), delay);
    this.timer.unref();
  }

  private async reclaim(): Promise<void> {
    if (this.stopped) return;
    try {
      const { takenUntil, credentials } = await this.queue.reclaimTask(this.claim);
      this.claim = { ...this.claim, takenUntil, credentials };
      this.onCredentials(credentials);
      this.schedule();
    } catch (err) {
      if (statusOf(err) === 409) return this.lose('the queue resolved the run (reclaim refused)');
      this.logger.warn(
        { taskId: this.claim.taskId, err: (err as Error).message },
        'reclaim failed; retrying',
      );
      if (this.claim.takenUntil.getTime() <= Date.now()) return this.lose('the claim expired');
      this.timer = setTimeout(() => void this.reclaim(), 5_000);
      this.timer.unref();
    }
  }

  private lose(reason: string): void {
    this.stop();
    if (!this.abort.signal.aborted) this.abort.abort(reason);
  }
}
