import taskcluster from 'taskcluster-client';
import type { RunCredentials } from '../proxy/run-credentials.js';
import { openArtifactFile, type ArtifactError, type ArtifactFile } from './collect-artifacts.js';

type Method = (...args: unknown[]) => Promise<Record<string, unknown>>;
type Client = Record<string, Method>;
interface TaskclusterModule {
  Queue: new (options: object) => Client;
  Object: new (options: object) => Client;
  upload(options: object): Promise<void>;
}
const tc = taskcluster as unknown as TaskclusterModule;

/** The run an artifact belongs to, and the credentials of that run as they are now. */
export interface RunRef {
  taskId: string;
  runId: number;
  credentials: RunCredentials;
}

/**
 * Publishes a run's artifacts with the run's own credentials (their only artifact
 * scope is `queue:create-artifact:<taskId>/<runId>`), through the published client:
 * createArtifact, the object upload (the queue's store measures and digests the data),
 * then finishArtifact.
 */
export class ArtifactUploader {
  constructor(readonly rootUrl: string) {}

  async uploadFile(run: RunRef, file: ArtifactFile): Promise<void> {
    const queue = this.queue(run);
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
        streamFactory: async () => handle.createReadStream({ start: 0, autoClose: false }),
        retries: 2,
      });
    } finally {
      await handle.close();
    }
    await queue.finishArtifact!(run.taskId, run.runId, file.name, { uploadId: created.uploadId });
  }

  async createError(run: RunRef, error: ArtifactError): Promise<void> {
    await this.queue(run).createArtifact!(run.taskId, run.runId, error.name, {
      storageType: 'error',
      expires: error.expires,
      reason: error.reason,
      message: error.message.slice(0, 4096),
    });
  }

  async createReference(run: RunRef, name: string, url: string, expires: string): Promise<void> {
    await this.queue(run).createArtifact!(run.taskId, run.runId, name, {
      storageType: 'reference',
      expires,
      contentType: 'text/plain; charset=utf-8',
      url,
    });
  }

  async createLink(run: RunRef, name: string, target: string, expires: string): Promise<void> {
    await this.queue(run).createArtifact!(run.taskId, run.runId, name, {
      storageType: 'link',
      expires,
      contentType: 'text/plain; charset=utf-8',
      artifact: target,
    });
  }

  private queue(run: RunRef): Client {
    return new tc.Queue({ rootUrl: this.rootUrl, credentials: run.credentials, retries: 2 });
  }
}
