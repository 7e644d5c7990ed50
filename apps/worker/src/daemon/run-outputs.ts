import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { ArtifactUploader, RunRef } from '../artifacts/artifact-uploader.js';
import {
  collectArtifacts,
  DEFAULT_COLLECT_LIMITS,
  type ArtifactError,
  type CollectLimits,
} from '../artifacts/collect-artifacts.js';
import { LiveLogPusher, liveLogUrl } from '../logs/live-log-pusher.js';
import type { ArtifactSpec } from '../payload/payload.js';
import type { TaskLog } from './task-log.js';

export const LIVE_LOG = 'public/logs/live.log';
export const BACKING_LOG = 'public/logs/live_backing.log';

/**
 * What a run leaves behind: its live log while it runs (sent to the queue, which
 * serves it behind the artifact's scope), then its artifacts and the complete log,
 * uploaded with the run's current credentials before the run is resolved (afterwards
 * they are revoked, S3).
 * A failure to publish an artifact is said in the log and the worker's own log; it
 * never hides the task's result. A failure to store the log itself is reported to the
 * caller, which resolves the run exception: a result is never reported without the
 * log that backs it (S18).
 */
export class RunOutputs {
  private live: LiveLogPusher | undefined;
  private referenced: Promise<boolean> = Promise.resolve(false);
  private collectLimits: CollectLimits = DEFAULT_COLLECT_LIMITS;

  constructor(
    private readonly run: () => RunRef,
    private readonly taskExpires: string,
    private readonly log: TaskLog,
    private readonly uploader: ArtifactUploader,
    private readonly logger: Logger,
  ) {}

  /**
   * Points `public/logs/live.log` at the queue's live log, and starts sending it there.
   * `onRunGone` hears when the queue refuses the log as if the run were over.
   */
  startLiveLog(onRunGone: () => void): void {
    const run = this.run();
    // Not awaited: the task need not wait for the artifact record to start. The log is
    // accepted by the queue either way; only finishLog needs the reference to exist.
    // Sent on the next turn of the event loop, once the task's start is under way:
    // preparing the request takes about half a millisecond.
    this.referenced = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() =>
        this.uploader.createReference(
          run,
          LIVE_LOG,
          liveLogUrl(this.uploader.rootUrl, run.taskId, run.runId),
          this.taskExpires,
        ),
      )
      .then(
        () => true,
        (err: unknown) => {
          this.warn(err, 'the live log could not be published');
          return false;
        },
      );
    this.live = new LiveLogPusher(
      this.log,
      this.run,
      this.uploader.rootUrl,
      this.logger,
      onRunGone,
    );
    this.live.start();
  }

  /**
   * A task never makes the store keep more than it was allowed to write (S19): its
   * artifacts together, by apparent size, stay within its disk limit.
   */
  limitArtifactBytes(diskMB: number | undefined): void {
    if (diskMB === undefined) return;
    const maxBytes = Math.min(DEFAULT_COLLECT_LIMITS.maxBytes, diskMB * 1024 * 1024);
    this.collectLimits = {
      ...DEFAULT_COLLECT_LIMITS,
      maxBytes,
      bytesLimitName: `the task's disk limit of ${diskMB} MB`,
    };
  }

  /**
   * Uploads the payload's artifacts from the (finished) task directory, as the task's
   * (S18: never with the worker-log scope). `workerErrors` are the worker's own error
   * artifacts, such as `public/logs/malformed-payload`. `missing` counts declared
   * artifacts that were not there, `refused` those over the byte limit.
   */
  async publishArtifacts(
    taskDir: string,
    specs: readonly ArtifactSpec[],
    workerErrors: ArtifactError[] = [],
  ): Promise<{ missing: number; refused: number }> {
    const { files, errors, skipped } = await collectArtifacts(
      taskDir,
      specs,
      this.taskExpires,
      this.collectLimits,
    );
    for (const why of skipped) this.log.note(`artifact skipped: ${why}`);
    for (const file of files) {
      try {
        await this.uploader.uploadFile(this.run(), file, 'task');
        this.log.note(`artifact ${file.name}: ${file.size} bytes uploaded`);
      } catch (err) {
        this.log.note(`artifact ${file.name}: the upload failed (${describe(err)})`);
        this.warn(err, 'an artifact upload failed');
      }
    }
    const owned = [
      ...errors.map((error) => ({ error, owner: 'task' as const })),
      ...workerErrors.map((error) => ({ error, owner: 'worker' as const })),
    ];
    for (const { error, owner } of owned) {
      this.log.note(`artifact ${error.name}: ${error.message}`);
      await this.uploader
        .createError(this.run(), error, owner)
        .catch((err: unknown) => this.warn(err, 'an error artifact could not be created'));
    }
    return {
      missing: errors.filter((e) => e.reason === 'file-missing-on-worker').length,
      refused: errors.filter((e) => e.reason === 'too-large-file-on-worker').length,
    };
  }

  /**
   * Closes the log, uploads it whole as `public/logs/live_backing.log`, and turns
   * `public/logs/live.log` into a link to it, so the same name serves the log after
   * the run as during it. Readers already following the live log read to its end.
   * Answers whether the log is stored: the caller must not report a result otherwise.
   */
  async finishLog(): Promise<boolean> {
    await this.log.close();
    await this.live?.finish();
    await this.referenced;
    try {
      const { size } = await stat(this.log.path);
      await this.uploader.uploadFile(
        this.run(),
        {
          name: BACKING_LOG,
          path: this.log.path,
          size,
          contentType: 'text/plain; charset=utf-8',
          expires: this.taskExpires,
        },
        'worker',
      );
      await this.uploader.createLink(this.run(), LIVE_LOG, BACKING_LOG, this.taskExpires);
      return true;
    } catch (err) {
      this.warn(err, 'the task log could not be uploaded');
      return false;
    }
  }

  /** When the run was taken away: nothing more can be sent; stop following the log. */
  async abandon(): Promise<void> {
    await this.log.close();
    await this.live?.finish();
    await this.referenced;
  }

  private warn(err: unknown, message: string): void {
    const { taskId, runId } = this.run();
    this.logger.warn({ taskId, runId, err: describe(err) }, message);
  }
}

/** An API error's code and message, without request details that could carry a URL. */
function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return [e.code, e.message?.split('\n')[0]].filter(Boolean).join(': ') || 'unknown error';
}
