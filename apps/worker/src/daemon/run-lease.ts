import type { Logger } from 'pino';
import type { RunCredentials } from '../proxy/run-credentials.js';
import { statusOf, type Claim, type WorkerQueue } from './queue-api.js';

/** Reclaim this long before takenUntil, as generic-worker does. */
const RECLAIM_MARGIN_MS = 3 * 60_000;
/** Never sooner than this after the last (re)claim, however short the claim. */
const MIN_RECLAIM_DELAY_MS = 1_000;
/** An early check (a hint that the run is over) at most this often. */
const CHECK_INTERVAL_MS = 5_000;

/**
 * Keeps a claim alive while its task runs: reclaims ahead of takenUntil, hands the
 * fresh credentials to whoever needs them (the task's proxy), and aborts the run the
 * moment the queue says it is no longer ours (409: canceled, deadline, expired).
 */
export class RunLease {
  readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastCheck = 0;

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

  /**
   * Asks the queue now whether the run is still ours (by reclaiming), when something
   * hints that it is not: the live log was refused. The queue's answer decides, so a
   * spurious hint costs one reclaim; a canceled run stops within seconds, not at the
   * next scheduled reclaim.
   */
  checkNow(): void {
    if (this.stopped || Date.now() - this.lastCheck < CHECK_INTERVAL_MS) return;
    this.lastCheck = Date.now();
    clearTimeout(this.timer);
    void this.reclaim();
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
      // The run's credentials die when the run is resolved (S3).
      if (statusOf(err) === 401) return this.lose('the queue revoked the run’s credentials');
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
