import { Readable } from 'node:stream';
import { ApiError, conflict, inputError, notFound } from '@bulwark/api';
import { queries, withTransaction } from '@bulwark/db';
import type { CreateUploadInput, FinishUploadInput } from '../schemas/artifact-objects.js';
import { signedDownloadUrl } from './artifact-signing.js';
import {
  DATA_INLINE_MAX_BYTES,
  armUploadUrl,
  artifactKeyOfObject,
  lockUpload,
  storeUploadData,
} from './artifact-upload.js';
import type { QueueContext } from './context.js';

type ArtifactKey = queries.queueArtifacts.ArtifactKey;

export interface CreateUploadResult {
  projectId: string;
  uploadId: string;
  expires: string;
  uploadMethod:
    | { dataInline: true }
    | { putUrl: { url: string; expires: string; headers: Record<string, string> } }
    | Record<string, never>;
}

/**
 * The object service's createUpload for artifact objects (the only objects there
 * are). The upload must be the one createArtifact started (same uploadId, project
 * and expiry) on a run that still accepts artifacts. Small data sent inline is
 * stored at once; otherwise a one-time PUT URL is handed out.
 */
export async function createUpload(
  ctx: QueueContext,
  objectName: string,
  input: CreateUploadInput,
  rootUrl: string,
): Promise<CreateUploadResult> {
  const key = artifactKeyOfObject(objectName);
  const claimedSha256 = input.hashes?.sha256;
  const { dataInline, putUrl } = input.proposedUploadMethods;
  const prepared = await withTransaction(ctx.pool, async (db) => {
    const artifact = await lockUpload(ctx, db, key, input);
    if (artifact.expires.getTime() !== new Date(input.expires).getTime()) {
      throw conflict(`The object's expiry is ${artifact.expires.toJSON()} and cannot change`);
    }
    if (artifact.uploadFinished) throw conflict('This upload is already finished');
    if (claimedSha256 !== undefined) {
      if (artifact.uploadSha256 !== null && artifact.uploadSha256 !== claimedSha256) {
        throw conflict('The sha256 of an upload cannot be changed once given');
      }
      await queries.queueArtifacts.setUploadSha256(db, key, claimedSha256);
    }
    if (dataInline || !putUrl) return { artifact, put: undefined };
    if (putUrl.contentLength > ctx.blobs.maxObjectBytes) {
      throw new ApiError(
        'InputTooLarge',
        `Objects may be at most ${ctx.blobs.maxObjectBytes} bytes`,
      );
    }
    const put = await armUploadUrl(ctx, db, artifact, rootUrl, {
      uploadLength: putUrl.contentLength,
      uploadSha256: claimedSha256 ?? null,
    });
    return { artifact, put: { ...put, contentLength: putUrl.contentLength } };
  });
  const base = {
    projectId: input.projectId,
    uploadId: input.uploadId,
    expires: prepared.artifact.expires.toJSON(),
  };
  if (dataInline) {
    const data = Buffer.from(dataInline.objectData, 'base64');
    if (data.length > DATA_INLINE_MAX_BYTES) {
      throw new ApiError(
        'InputTooLarge',
        `Inline data may be at most ${DATA_INLINE_MAX_BYTES} bytes`,
      );
    }
    await storeUploadData(
      ctx,
      prepared.artifact,
      Readable.from([data]),
      {
        expectedSize: undefined,
        expectedSha256: claimedSha256 ?? prepared.artifact.uploadSha256 ?? undefined,
      },
      false,
    );
    return { ...base, uploadMethod: { dataInline: true } };
  }
  if (!prepared.put) return { ...base, uploadMethod: {} };
  return {
    ...base,
    uploadMethod: {
      putUrl: {
        url: prepared.put.url,
        expires: prepared.put.expires.toJSON(),
        // The store checks the length itself; the header lets the server refuse early.
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(prepared.put.contentLength),
        },
      },
    },
  };
}

/**
 * finishUpload: the data must be there, and a digest the uploader gives must be the
 * one the store computed (else the data is dropped). Idempotent once finished.
 */
export async function finishUpload(
  ctx: QueueContext,
  objectName: string,
  input: FinishUploadInput,
): Promise<void> {
  const key = artifactKeyOfObject(objectName);
  const mismatch = await withTransaction(ctx.pool, async (db) => {
    const artifact = await lockUpload(ctx, db, key, input);
    if (artifact.uploadFinished) return false;
    if (artifact.blobSha256 === null) throw inputError('No data has been uploaded for this object');
    const claimed = input.hashes?.sha256;
    if (claimed !== undefined && claimed !== artifact.blobSha256) {
      await queries.queueArtifacts.detachBlob(db, key);
      return true;
    }
    const stored = await ctx.blobs.store.stat(artifact.blobSha256);
    if (!stored) throw conflict('The uploaded data is gone; upload it again');
    await queries.queueArtifacts.finishUpload(db, key, {
      contentLength: stored.size,
      present: false,
    });
    return false;
  });
  if (mismatch) {
    throw inputError('The given sha256 does not match the uploaded data; the data was discarded');
  }
}

/** A finished object's data and where to fetch it: signed, expiring (S13). */
export async function startDownload(
  ctx: QueueContext,
  objectName: string,
  accept: { simple?: true; getUrl?: true },
  rootUrl: string,
): Promise<
  | { method: 'simple'; url: string }
  | { method: 'getUrl'; url: string; expires: string; hashes: { sha256: string } }
> {
  const key = artifactKeyOfObject(objectName);
  const artifact = await downloadableObject(ctx, key);
  const signed = signedDownloadUrl(ctx, rootUrl, { ...key, objectName });
  if (accept.getUrl) {
    return {
      method: 'getUrl',
      url: signed.url,
      expires: signed.expires.toJSON(),
      hashes: { sha256: artifact.blobSha256 },
    };
  }
  if (accept.simple) return { method: 'simple', url: signed.url };
  throw inputError('None of the accepted download methods is supported (simple, getUrl)');
}

/** An artifact whose stored data may be downloaded: finished upload, not expired. */
export async function downloadableObject(
  ctx: QueueContext,
  key: ArtifactKey,
): Promise<queries.queueArtifacts.ArtifactRow & { blobSha256: string }> {
  const artifact = await queries.queueArtifacts.getArtifact(ctx.pool, key);
  const { blobSha256 } = artifact ?? {};
  if (!artifact || !artifact.uploadFinished || !blobSha256) throw notFound('Object');
  if (artifact.expires < ctx.now()) throw new ApiError('ResourceExpired', 'Object expired');
  return { ...artifact, blobSha256 };
}
