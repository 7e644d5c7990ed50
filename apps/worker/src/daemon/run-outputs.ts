import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { ArtifactUploader, RunRef } from '../artifacts/artifact-uploader.js';
import { collectArtifacts, type ArtifactError } from '../artifacts/collect-artifacts.js';
import type { LiveLogServer, PublishedLog } from '../logs/live-log-server.js';
import type { ArtifactSpec } from '../payload/payload.js';
import type { TaskLog } from './task-log.js';

export const LIVE_LOG = 'public/logs/live.log';
export const BACKING_LOG = 'public/logs/live_backing.log';

/**
 * What a run leaves behind: its live log while it runs (a reference to this worker's
 * live log server), then its artifacts and the complete log, uploaded with the run's
 * current credentials before the run is resolved (afterwards they are revoked, S3).
 * A failure to publish is said in the log and the worker's own log; it never hides
 * the task's result.
 */
export class RunOutputs {
  private live: PublishedLog | undefined;

  constructor(
    private readonly run: () => RunRef,
    private readonly taskExpires: string,
    private readonly log: TaskLog,
    private readonly uploader: ArtifactUploader,
    private readonly logger: Logger,
  ) {}

  /** Serves the log while the task runs and points `public/logs/live.log` at it. */
  async startLiveLog(server: LiveLogServer): Promise<void> {
    try {
      this.live = await server.publish(this.log);
      await this.uploader.createReference(this.run(), LIVE_LOG, this.live.url, this.taskExpires);
    } catch (err) {
      this.warn(err, 'the live log could not be published');
    }
  }

  /** Uploads the payload's artifacts from the (finished) task directory. */
  async publishArtifacts(
    taskDir: string,
    specs: readonly ArtifactSpec[],
    extraErrors: ArtifactError[] = [],
  ): Promise<{ missing: number }> {
    const run = this.run();
    const { files, errors, skipped } = await collectArtifacts(taskDir, specs, this.taskExpires);
    for (const why of skipped) this.log.note(`artifact skipped: ${why}`);
    for (const file of files) {
      try {
        await this.uploader.uploadFile(this.run(), file);
        this.log.note(`artifact ${file.name}: ${file.size} bytes uploaded`);
      } catch (err) {
        this.log.note(`artifact ${file.name}: the upload failed (${describe(err)})`);
        this.warn(err, 'an artifact upload failed');
      }
    }
    for (const error of [...errors, ...extraErrors]) {
      this.log.note(`artifact ${error.name}: ${error.message}`);
      await this.uploader
        .createError(run, error)
        .catch((err: unknown) => this.warn(err, 'an error artifact could not be created'));
    }
    return { missing: errors.filter((e) => e.reason === 'file-missing-on-worker').length };
  }

  /**
   * Closes the log, uploads it whole as `public/logs/live_backing.log`, and turns
   * `public/logs/live.log` into a link to it, so the same name serves the log after
   * the run as during it. Readers already following the live log read to its end.
   */
  async finishLog(): Promise<void> {
    await this.log.close();
    try {
      const { size } = await stat(this.log.path);
      await this.uploader.uploadFile(this.run(), {
        name: BACKING_LOG,
        path: this.log.path,
        size,
        contentType: 'text/plain; charset=utf-8',
        expires: this.taskExpires,
      });
      await this.uploader.createLink(this.run(), LIVE_LOG, BACKING_LOG, this.taskExpires);
    } catch (err) {
      this.warn(err, 'the task log could not be uploaded');
    } finally {
      this.live?.retire();
    }
  }

  /** When the run was taken away: nothing can be uploaded, but live readers must end. */
  async abandon(): Promise<void> {
    await this.log.close();
    this.live?.retire();
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
