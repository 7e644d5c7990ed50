import taskcluster from 'taskcluster-client';
import type { RunCredentials } from '../proxy/run-credentials.js';
import { openArtifactFile, type ArtifactError, type ArtifactFile } from './collect-artifacts.js';
import { flipFirstByte } from './tamper.js';
import { createArtifactScope } from './worker-log-names.js';

type Method = (...args: unknown[]) => Promise<Record<string, unknown>>;
type Client = Record<string, Method>;
interface TaskclusterModule {
  Queue: new (options: object) => Client;
  Object: new (options: object) => Client;
  upload(options: object): Promise<void>;
}
const tc = taskcluster as unknown as TaskclusterModule;

/**
 * Whose artifact it is: the task's (its declared files and their errors) or the
 * worker's (its log and its notes, under `public/logs/`).
 */
export type ArtifactOwner = 'task' | 'worker';

/** The run an artifact belongs to, and the credentials of that run as they are now. */
export interface RunRef {
  taskId: string;
  runId: number;
  credentials: RunCredentials;
}

/**
 * Publishes a run's artifacts with the run's own credentials, through the published
 * client: createArtifact, the object upload (the queue's store measures and digests
 * the data), then finishArtifact. The task's artifacts go with the credentials
 * narrowed to `queue:create-artifact:<taskId>/<runId>`, what its proxy could do, so
 * that the queue refuses them a name in the worker's log whatever this code does
 * (S18); only the worker's own log is written with the worker-log scope.
 */
export class ArtifactUploader {
  /**
   * `tamperArtifact`: the test-only tamper switch (tamper.ts); the task's artifact of
   * that name is uploaded with its first byte flipped. Never set outside tests.
   */
  constructor(
    readonly rootUrl: string,
    private readonly tamperArtifact?: string,
  ) {}

  async uploadFile(run: RunRef, file: ArtifactFile, owner: ArtifactOwner): Promise<void> {
    const queue = this.queue(run, owner);
    const created = await queue.createArtifact!(run.taskId, run.runId, file.name, {
      storageType: 'object',
      expires: file.expires,
      contentType: file.contentType,
      contentLength: file.size,
    });
    const handle = await openArtifactFile(file);
    try {
      await tc.upload({
        projectId: created.projectId,
        name: created.name,
        contentType: file.contentType,
        contentLength: file.size,
        expires: new Date(created.expires as string),
        uploadId: created.uploadId,
        object: new tc.Object({
          rootUrl: this.rootUrl,
          credentials: created.credentials,
          retries: 2,
        }),
        // A retry starts again from the first byte of the same open file.
        streamFactory: async () => {
          const content = handle.createReadStream({ start: 0, autoClose: false });
          return owner === 'task' && file.name === this.tamperArtifact
            ? flipFirstByte(content)
            : content;
        },
        retries: 2,
      });
    } finally {
      await handle.close();
    }
    await queue.finishArtifact!(run.taskId, run.runId, file.name, { uploadId: created.uploadId });
  }

  async createError(run: RunRef, error: ArtifactError, owner: ArtifactOwner): Promise<void> {
    await this.queue(run, owner).createArtifact!(run.taskId, run.runId, error.name, {
      storageType: 'error',
      expires: error.expires,
      reason: error.reason,
      message: error.message.slice(0, 4096),
    });
  }

  /** The worker's live log reference. */
  async createReference(run: RunRef, name: string, url: string, expires: string): Promise<void> {
    await this.queue(run, 'worker').createArtifact!(run.taskId, run.runId, name, {
      storageType: 'reference',
      expires,
      contentType: 'text/plain; charset=utf-8',
      url,
    });
  }

  /** The worker's live log, turned into a link to the uploaded log. */
  async createLink(run: RunRef, name: string, target: string, expires: string): Promise<void> {
    await this.queue(run, 'worker').createArtifact!(run.taskId, run.runId, name, {
      storageType: 'link',
      expires,
      contentType: 'text/plain; charset=utf-8',
      artifact: target,
    });
  }

  private queue(run: RunRef, owner: ArtifactOwner): Client {
    return new tc.Queue({
      rootUrl: this.rootUrl,
      credentials: run.credentials,
      retries: 2,
      ...(owner === 'task'
        ? { authorizedScopes: [createArtifactScope(run.taskId, run.runId)] }
        : {}),
    });
  }
}
