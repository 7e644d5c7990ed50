import { randomBytes } from 'node:crypto';
import type { RunCredentials } from './run-credentials.js';

/** Bounds on what one task can make its proxy remember. */
const MAX_GRANTS = 4096;
const MAX_HANDLES = 4096;

/** The queue's one-time upload URLs: `<origin>/api/object/v1/upload-data/<token>`. */
const UPLOAD_DATA_URL = /^https?:\/\/[^/?#]+\/api\/object\/v1\/upload-data\/([A-Za-z0-9_-]{43})$/;
export const UPLOAD_DATA_PATH = /^\/api\/object\/v1\/upload-data\/([A-Za-z0-9_-]{43})$/;
/** The object API requests an upload's own credentials sign (name sent encoded or raw). */
export const OBJECT_UPLOAD_PATH = /^\/api\/object\/v1\/(?:upload|finish-upload)\/(.+)$/;

/**
 * What the proxy keeps, instead of the task, so that a task can upload an object
 * artifact without holding a credential (S2):
 *
 * - createArtifact answers an `object` artifact with credentials that may upload that
 *   one object. The proxy keeps them under the object's name (and the task gets `{}`);
 *   the object API's createUpload and finishUpload for that name, sent by the task
 *   through the proxy, are signed with them.
 * - createUpload (and createArtifact for `s3`) answer with a one-time upload URL, a
 *   bearer capability on the control plane's origin. The proxy keeps it and gives the
 *   task a URL on the proxy's own origin with a random handle in its place; a PUT to
 *   that URL is forwarded to the real one. The handle means nothing anywhere else.
 *
 * Both tables are bounded (oldest first out) and emptied when the run resolves.
 */
export class UploadGrants {
  private readonly grants = new Map<string, RunCredentials>();
  private readonly handles = new Map<string, string>();

  /** Keeps the upload credentials of one object. */
  record(objectName: string, credentials: RunCredentials): void {
    this.grants.delete(objectName);
    this.grants.set(objectName, credentials);
    evictOldest(this.grants, MAX_GRANTS);
  }

  /** The upload credentials for the object an object-API path names, if kept. */
  credentialsForPath(path: string): RunCredentials | undefined {
    const encoded = OBJECT_UPLOAD_PATH.exec(path)?.[1];
    // Safe: the path passed canonicalTarget, so it decodes.
    return encoded === undefined ? undefined : this.grants.get(decodeURIComponent(encoded));
  }

  /**
   * If `value` is a one-time upload URL, the URL the task gets instead: the same path
   * on the proxy's origin (as the task addressed it), with a handle for the token.
   */
  rewriteUploadUrl(value: string, taskOrigin: string): string | undefined {
    const token = UPLOAD_DATA_URL.exec(value)?.[1];
    if (token === undefined) return undefined;
    const handle = randomBytes(32).toString('base64url');
    this.handles.set(handle, `/api/object/v1/upload-data/${token}`);
    evictOldest(this.handles, MAX_HANDLES);
    return `${taskOrigin}/api/object/v1/upload-data/${handle}`;
  }

  /** The control plane's upload path a handle stands for, if the proxy issued it. */
  uploadPathFor(handle: string): string | undefined {
    return this.handles.get(handle);
  }

  /** A finished upload's URL is spent. */
  release(handle: string): void {
    this.handles.delete(handle);
  }

  clear(): void {
    this.grants.clear();
    this.handles.clear();
  }
}

function evictOldest<V>(map: Map<string, V>, max: number): void {
  while (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) return;
    map.delete(oldest);
  }
}
