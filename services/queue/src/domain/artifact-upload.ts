import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ApiError, conflict, inputError, notFound } from '@bulwark/api';
import { isBlobRejectedError, type BlobInfo } from '@bulwark/blobs';
import { queries, withTransaction, type Queryable } from '@bulwark/db';
import { parseArtifactObjectName } from './artifact-names.js';
import { lockAcceptingRun } from './artifact-rules.js';
import type { QueueContext } from './context.js';

type ArtifactRow = queries.queueArtifacts.ArtifactRow;
type ArtifactKey = queries.queueArtifacts.ArtifactKey;

/** Objects this small may be sent inside createUpload (Taskcluster's dataInline bound). */
export const DATA_INLINE_MAX_BYTES = 8192;

const UPLOAD_TOKEN = /^[A-Za-z0-9_-]{43}$/;

const hashToken = (token: string): Buffer => createHash('sha256').update(token).digest();

/**
 * Arms a one-time upload URL for the artifact: a random capability whose hash alone
 * is stored, valid until the URL expires, the artifact expires or the upload
 * finishes, whichever is first.
 */
export async function armUploadUrl(
  ctx: QueueContext,
  db: Queryable,
  artifact: ArtifactRow,
  rootUrl: string,
  claims: { uploadLength: number | null; uploadSha256: string | null },
): Promise<{ url: string; expires: Date }> {
  const token = randomBytes(32).toString('base64url');
  const ttlEnd = ctx.now().getTime() + ctx.blobs.uploadUrlTtlSeconds * 1000;
  const expires = new Date(Math.min(ttlEnd, artifact.expires.getTime()));
  await queries.queueArtifacts.setUploadToken(db, artifact, {
    tokenHash: hashToken(token),
    tokenExpires: expires,
    ...claims,
  });
  return { url: `${rootUrl}/api/object/v1/upload-data/${token}`, expires };
}

/** The artifact an object name stands for, or 404: only the queue's uploads exist. */
export function artifactKeyOfObject(objectName: string): ArtifactKey {
  const key = parseArtifactObjectName(objectName);
  if (!key) throw notFound('Object');
  return key;
}

/**
 * Locks the run (it must still accept artifacts) and the artifact, and checks that
 * this is the upload the queue started: an object artifact with this uploadId.
 */
export async function lockUpload(
  ctx: QueueContext,
  db: Queryable,
  key: ArtifactKey,
  upload: { uploadId: string; projectId: string },
): Promise<ArtifactRow> {
  const run = await lockAcceptingRun(db, key.taskId, key.runId, ctx.now());
  const artifact = await queries.queueArtifacts.getArtifact(db, key, { forUpdate: true });
  if (!artifact || artifact.storageType !== 'object') throw notFound('Object');
  if (artifact.uploadId !== upload.uploadId) {
    throw conflict('An upload of this object with a different uploadId exists');
  }
  if (run.projectId !== upload.projectId) {
    throw conflict(`This object belongs to project ${run.projectId}`);
  }
  return artifact;
}

/** Maps the store's refusal to the uploader's error, and anything else through. */
export function uploadError(err: unknown): unknown {
  if (!isBlobRejectedError(err)) return err;
  return err.reason === 'too-large'
    ? new ApiError('InputTooLarge', `Upload refused: ${err.message}`)
    : inputError(`Upload refused: ${err.message}`);
}

/**
 * Streams content into the blob store (which measures and hashes it, checking the
 * uploader's claims) and points the unfinished upload at the result. The blob row is
 * registered in the same transaction as the reference, so the collector cannot take
 * it; should the collector have removed the data just before, the check after commit
 * notices and the uploader retries (5xx).
 */
export async function storeUploadData(
  ctx: QueueContext,
  artifact: ArtifactRow,
  source: Readable,
  claims: { expectedSize: number | undefined; expectedSha256: string | undefined },
  finish: boolean,
): Promise<BlobInfo> {
  let info: BlobInfo;
  try {
    info = await ctx.blobs.store.put(source, {
      maxSize: ctx.blobs.maxObjectBytes,
      ...(claims.expectedSize !== undefined ? { expectedSize: claims.expectedSize } : {}),
      ...(claims.expectedSha256 !== undefined ? { expectedSha256: claims.expectedSha256 } : {}),
    });
  } catch (err) {
    throw uploadError(err);
  }
  const now = ctx.now();
  await withTransaction(ctx.pool, async (db) => {
    await lockAcceptingRun(db, artifact.taskId, artifact.runId, now);
    await queries.blobs.registerBlob(db, info, now);
    if (!(await queries.queueArtifacts.attachBlob(db, artifact, artifact.uploadId, info.sha256))) {
      throw conflict('This upload was finished or removed meanwhile');
    }
    if (finish) {
      await queries.queueArtifacts.finishUpload(db, artifact, {
        contentLength: info.size,
        present: true,
      });
      // Last: the audit lock is held from here to the commit (S14).
      await queries.audit.appendAudit(
        db,
        {
          entityType: 'task',
          entityId: artifact.taskId,
          action: 'artifact-created',
          clientId: 'upload-url',
          details: {
            runId: artifact.runId,
            name: artifact.name,
            storageType: artifact.storageType,
            sha256: info.sha256,
            size: info.size,
          },
        },
        now,
      );
    }
  });
  if (!(await ctx.blobs.store.exists(info.sha256))) {
    throw new Error('uploaded data was collected concurrently; the upload must be retried');
  }
  return info;
}

/** The upload a PUT URL's capability belongs to, while it is valid. */
export async function uploadForToken(ctx: QueueContext, token: string): Promise<ArtifactRow> {
  const artifact = UPLOAD_TOKEN.test(token)
    ? await queries.queueArtifacts.getByUploadToken(ctx.pool, hashToken(token), ctx.now())
    : undefined;
  if (!artifact) {
    throw new ApiError(
      'AuthenticationFailed',
      'This upload URL is not valid: it is unknown, expired, or its upload has finished',
    );
  }
  return artifact;
}
