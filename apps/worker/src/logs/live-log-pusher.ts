import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { RunRef } from '../artifacts/artifact-uploader.js';
import type { TaskLog } from '../daemon/task-log.js';
import { createArtifactScope, workerLogScope } from '../artifacts/worker-log-names.js';
import { signRequest, targetOfUrl } from '../proxy/run-credentials.js';

/** How long bytes wait to be sent with others: readers see output this much later at most. */
const FLUSH_MS = 150;
/**
 * A quiet task still gets an (empty) append this often: the queue's refusal is how the
 * worker learns within seconds that the run was canceled or otherwise resolved.
 */
const HEARTBEAT_MS = 2_000;
/** The queue's limit on one append. */
const MAX_APPEND = 1024 * 1024;
const ATTEMPTS = 3;

/** The live log's path on the queue; `public/logs/live.log` is a reference to it. */
export function liveLogUrl(rootUrl: string, taskId: string, runId: number): string {
  return `${rootUrl}/api/object/v1/live-log/${taskId}/${runId}`;
}

/**
 * Sends a running task's (masked) log to the queue as it is written, so readers get
 * it through the API with ordinary artifact scopes, from any replica. Appends name
 * the offset they start at, so a retry after a lost answer is harmless. When the
 * queue refuses for good (the run is over, the live log is full), sending stops; the
 * complete log is uploaded at the end of the run either way.
 */
export class LiveLogPusher {
  private readonly queued: Buffer[] = [];
  /** Bytes the queue holds. */
  private offset = 0;
  private stopped = false;
  private pumping: Promise<void> | undefined;
  private lastAppend = Date.now();

  constructor(
    private readonly log: TaskLog,
    private readonly run: () => RunRef,
    private readonly rootUrl: string,
    private readonly logger: Logger,
    /** Called when the queue refuses in a way that says the run may be over. */
    private readonly onRunGone: () => void = () => {},
  ) {}

  /** Starts following the log; finish() waits until it is all sent (after log.close()). */
  start(): void {
    this.pumping ??= this.pump().catch((err: unknown) => {
      this.giveUp(`the live log failed: ${(err as Error).message}`);
    });
  }

  async finish(): Promise<void> {
    await this.pumping;
  }

  private async pump(): Promise<void> {
    let ended = false;
    const reading = (async () => {
      for await (const chunk of this.log.follow()) this.queued.push(chunk);
      ended = true;
    })();
    for (;;) {
      await sleep(FLUSH_MS);
      const last = ended;
      await this.send(last);
      if (last) break;
    }
    await reading;
  }

  /** Sends everything queued, in appends the queue accepts; `final` closes the log. */
  private async send(final: boolean): Promise<void> {
    const heartbeat = Date.now() - this.lastAppend >= HEARTBEAT_MS;
    while (!this.stopped && (this.queued.length > 0 || final || heartbeat)) {
      const data = this.take();
      const done = final && this.queued.length === 0;
      await this.append(data, done);
      if (done || this.queued.length === 0) return;
    }
    this.queued.length = 0;
  }

  private take(): Buffer {
    const all = Buffer.concat(this.queued);
    this.queued.length = 0;
    if (all.length <= MAX_APPEND) return all;
    this.queued.push(all.subarray(MAX_APPEND));
    return all.subarray(0, MAX_APPEND);
  }

  private async append(data: Buffer, final: boolean): Promise<void> {
    const { taskId, runId, credentials } = this.run();
    const base = liveLogUrl(this.rootUrl, taskId, runId);
    for (let attempt = 1; attempt <= ATTEMPTS && !this.stopped; attempt++) {
      const url = `${base}?offset=${this.offset}${final ? '&final=true' : ''}`;
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: {
            // The live log is the worker's (S18): its writes need the worker-log scope.
            authorization: signRequest(
              credentials,
              [createArtifactScope(taskId, runId), workerLogScope(taskId, runId)],
              targetOfUrl(new URL(url)),
              'POST',
            ),
            'content-type': 'application/octet-stream',
          },
          body: data,
        });
      } catch (err) {
        this.logger.debug({ taskId, runId, err: (err as Error).message }, 'live log append failed');
        await sleep(attempt * 500);
        continue;
      }
      const body = (await response.json().catch(() => ({}))) as { size?: unknown; code?: string };
      if (response.ok) {
        this.offset += data.length;
        this.lastAppend = Date.now();
        return;
      }
      if (response.status === 409 && typeof body.size === 'number' && body.size > this.offset) {
        // An earlier append landed though its answer was lost: skip what the queue has.
        const stored = body.size - this.offset;
        this.offset = body.size;
        if (stored >= data.length) return;
        data = data.subarray(stored);
        continue;
      }
      if (response.status >= 500) {
        await sleep(attempt * 500);
        continue;
      }
      // Revoked credentials (401) or a run that takes no more artifacts (409): the run
      // is probably over; the lease asks the queue and stops the task if so.
      if (response.status === 401 || response.status === 409) this.onRunGone();
      return this.giveUp(`the queue refused the live log (${response.status} ${body.code ?? ''})`);
    }
    if (!this.stopped) this.giveUp('the queue could not be reached');
  }

  private giveUp(why: string): void {
    if (this.stopped) return;
    this.stopped = true;
    const { taskId, runId } = this.run();
    this.logger.warn({ taskId, runId, why }, 'live log stopped; the log is uploaded at the end');
  }
}
