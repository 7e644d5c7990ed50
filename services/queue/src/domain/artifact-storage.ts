import type { BlobStore } from '@bulwark/blobs';

/** Where artifact data lives and the limits around it; part of the queue's context. */
export interface ArtifactStorage {
  readonly store: BlobStore;
  /** The largest object an upload may announce or send. */
  readonly maxObjectBytes: number;
  /** Lifetime of signed download URLs (303 redirects, getUrl); Taskcluster uses 30 min for S3. */
  readonly signedUrlTtlSeconds: number;
  /** Lifetime of an upload URL handed out by createUpload / an s3 artifact. */
  readonly uploadUrlTtlSeconds: number;
  /**
   * The public root URL for the links the queue hands out. When absent, the origin
   * the client signed its own request for (its Host) is used.
   */
  readonly rootUrl: (() => string | undefined) | undefined;
}

export interface ArtifactStorageOptions {
  store: BlobStore;
  maxObjectBytes?: number;
  signedUrlTtlSeconds?: number;
  uploadUrlTtlSeconds?: number;
  rootUrl?: () => string | undefined;
}

/** S3's single-PUT ceiling: a sensible default bound for one artifact. */
export const DEFAULT_MAX_OBJECT_BYTES = 5 * 1024 * 1024 * 1024;

export function artifactStorage(options: ArtifactStorageOptions): ArtifactStorage {
  return Object.freeze({
    store: options.store,
    maxObjectBytes: options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES,
    signedUrlTtlSeconds: options.signedUrlTtlSeconds ?? 30 * 60,
    uploadUrlTtlSeconds: options.uploadUrlTtlSeconds ?? 60 * 60,
    rootUrl: options.rootUrl,
  });
}
