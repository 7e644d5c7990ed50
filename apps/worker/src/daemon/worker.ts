import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ArtifactUploader } from '../artifacts/artifact-uploader.js';
import type { Executor } from '../sandbox/engine.js';
import type { Claim, WorkerQueue } from './queue-api.js';
import { runClaim, type Resolution } from './task-run.js';
import type { WorkerConfig } from './worker-config.js';

/** After a failed claimWork (network, 5xx), wait this long before asking again. */
const CLAIM_RETRY_MS = 2_000;

/**
 * The claim loop: keeps up to `capacity` tasks running, asking the queue (a long
 * poll) only for as many as it has room for. stop() ends claiming at once, gives
 * running tasks the grace period, then aborts them so they resolve as
 * worker-shutdown and the queue retries them elsewhere.
 */
export class Worker {
  private readonly running = new Map<string, Promise<Resolution>>();
  private readonly shutdown = new AbortController();
  private readonly stopClaiming = new AbortController();
  private loop: Promise<void> | undefined;
  /** A long poll still out when claiming stopped; what it brings back is handed back. */
  private abandonedClaim: Promise<Claim[]> | undefined;
  private freed: (() => void) | undefined;
  private readonly uploader: ArtifactUploader;

  constructor(
    private readonly config: Readonly<WorkerConfig>,
    private readonly queue: WorkerQueue,
    private readonly executor: Executor,
    private readonly logger: Logger,
    private readonly onResolved: (claim: Claim, resolution: Resolution) => void = () => {},
  ) {
    this.uploader = new ArtifactUploader(config.rootUrl, config.testOnlyTamperArtifact);
  }

  start(): void {
    this.loop ??= this.claimLoop();
  }

  get activeTasks(): number {
    return this.running.size;
  }

  async stop(graceSeconds = this.config.shutdownGraceSeconds): Promise<void> {
    this.stopClaiming.abort();
    await this.loop;
    const released = this.releaseAbandonedClaims();
    if (this.running.size > 0) {
      this.logger.info({ tasks: this.running.size, graceSeconds }, 'waiting for running tasks');
      const grace = sleep(graceSeconds * 1000, undefined, { ref: false });
      await Promise.race([Promise.allSettled(this.running.values()), grace]);
    }
    this.shutdown.abort();
    await Promise.allSettled([...this.running.values(), released]);
    await this.executor.close?.();
  }

  /** Tasks claimed after stop() began are resolved worker-shutdown at once, to be retried. */
  private async releaseAbandonedClaims(): Promise<void> {
    const claims = await this.abandonedClaim?.catch(() => [] as Claim[]);
    for (const claim of claims ?? []) {
      await this.queue.reportException(claim, 'worker-shutdown').catch((err: unknown) => {
        this.logger.warn(
          { taskId: claim.taskId, err: (err as Error).message },
          'could not hand a claim back',
        );
      });
    }
  }

  private async claimLoop(): Promise<void> {
    const stopping = this.stopClaiming.signal;
    while (!stopping.aborted) {
      const room = this.config.capacity - this.running.size;
      if (room <= 0) {
        await new Promise<void>((resolve) => {
          this.freed = resolve;
          stopping.addEventListener('abort', () => resolve(), { once: true });
        });
        continue;
      }
      // While the long poll waits, the engine readies the next task's start (it costs
      // the sandbox tens of milliseconds that the task would otherwise wait for).
      void this.executor.prepare?.(this.config.limits.defaults).catch(() => undefined);
      let claims: Claim[];
      const request = this.queue.claimWork(this.config.taskQueueId, room, stopping);
      try {
        claims = await abortable(request, stopping);
      } catch (err) {
        if (stopping.aborted) {
          // Disconnected: the queue claims nothing more for it; a claim made in the
          // instant before is handed back below.
          this.abandonedClaim = request;
          break;
        }
        this.logger.warn({ err: (err as Error).message }, 'claimWork failed; retrying');
        await sleep(CLAIM_RETRY_MS, undefined, { signal: stopping }).catch(() => undefined);
        continue;
      }
      for (const claim of claims) this.launch(claim);
    }
  }

  private launch(claim: Claim): void {
    const key = `${claim.taskId}/${claim.runId}`;
    const run = runClaim(claim, {
      config: this.config,
      queue: this.queue,
      executor: this.executor,
      logger: this.logger,
      shutdown: this.shutdown.signal,
      uploader: this.uploader,
    })
      .then((resolution) => {
        this.logger.info(
          { taskId: claim.taskId, runId: claim.runId, resolution: resolution.kind },
          'task resolved',
        );
        this.onResolved(claim, resolution);
        return resolution;
      })
      // Last line of defence (S19): nothing a run does may end the worker. The run is
      // not resolved; its claim expires and the queue retries it elsewhere.
      .catch((err: unknown): Resolution => {
        this.logger.error({ taskId: claim.taskId, runId: claim.runId, err }, 'the run failed');
        return { kind: 'lost', why: 'the worker failed while finishing the run' };
      })
      .finally(() => {
        this.running.delete(key);
        this.freed?.();
        this.freed = undefined;
      });
    this.running.set(key, run);
  }
}

/**
 * Stops waiting for a long poll when the worker stops claiming. A claim that arrives
 * after that is not lost: its claim expires and the queue retries it elsewhere.
 */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('stopped'));
    signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true });
    promise.then(resolve, reject);
  });
}
