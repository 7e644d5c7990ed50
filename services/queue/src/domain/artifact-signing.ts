import hawk from 'hawk';
import { hawkRequestInfo } from '@bulwark/api';
import { issueTemporaryCredentials, type TemporaryCredentials } from '@bulwark/crypto';
import type { FastifyRequest } from 'fastify';
import type { QueueContext } from './context.js';

const HOUR_MS = 60 * 60 * 1000;

/**
 * The origin links are built on: the configured root URL, else the one the caller
 * addressed (its Host header, as Hawk signs it; https behind a proxy that says so).
 */
export function publicRootUrl(ctx: QueueContext, request: FastifyRequest): string {
  const configured = ctx.blobs.rootUrl?.();
  if (configured) return configured.replace(/\/+$/, '');
  const info = hawkRequestInfo(request);
  const https = request.headers['x-forwarded-proto'] === 'https';
  const scheme = https ? 'https' : 'http';
  if (!info) return `${scheme}://localhost`;
  const host = info.host.includes(':') ? `[${info.host}]` : info.host;
  const defaultPort = https ? 443 : 80;
  return `${scheme}://${host}${info.port === defaultPort ? '' : `:${info.port}`}`;
}

/**
 * Credentials for uploading one artifact's data and nothing else, as Taskcluster
 * issues them: `object:upload:<projectId>:<objectName>`, until the artifact expires
 * or for a day, whichever is sooner.
 */
export function issueUploadCredentials(
  ctx: QueueContext,
  upload: {
    taskId: string;
    runId: number;
    workerGroup: string;
    workerId: string;
    projectId: string;
    objectName: string;
    expires: Date;
  },
): TemporaryCredentials {
  const now = ctx.now();
  const dayLater = new Date(now.getTime() + 24 * HOUR_MS);
  return issueTemporaryCredentials({
    issuerClientId: ctx.identity.clientId,
    issuerAccessToken: ctx.identity.accessToken,
    clientId: `artifact-upload/${upload.taskId}/${upload.runId}/on/${upload.workerGroup}/${upload.workerId}`,
    scopes: [`object:upload:${upload.projectId}:${upload.objectName}`],
    start: now,
    expiry: upload.expires < dayLater ? upload.expires : dayLater,
  });
}

/** Credentials that can download exactly one object, for `lifetimeMs` (artifact-content: 1 h). */
export function issueDownloadCredentials(
  ctx: QueueContext,
  download: { taskId: string; runId: number; objectName: string },
  lifetimeMs = HOUR_MS,
): TemporaryCredentials {
  const now = ctx.now();
  return issueTemporaryCredentials({
    issuerClientId: ctx.identity.clientId,
    issuerAccessToken: ctx.identity.accessToken,
    clientId: `artifact-download/${download.taskId}/${download.runId}`,
    scopes: [`object:download:${download.objectName}`],
    start: now,
    expiry: new Date(now.getTime() + lifetimeMs),
  });
}

/**
 * A GET URL for one object's data, signed with a bewit by credentials that can read
 * only that object, and expiring (S13). Whoever holds the URL can fetch exactly that
 * object until then; the MAC covers the whole path, so it cannot be bent to another.
 */
export function signedDownloadUrl(
  ctx: QueueContext,
  rootUrl: string,
  download: { taskId: string; runId: number; objectName: string },
): { url: string; expires: Date } {
  const ttlSec = ctx.blobs.signedUrlTtlSeconds;
  const credentials = issueDownloadCredentials(ctx, download, ttlSec * 1000);
  const url = `${rootUrl}/api/object/v1/download/${encodeURIComponent(download.objectName)}`;
  return {
    url: withBewit(ctx, url, credentials, ttlSec),
    expires: new Date(ctx.now().getTime() + ttlSec * 1000),
  };
}

/** `url` with a bewit by temporary `credentials`, valid for `ttlSec` from now. */
export function withBewit(
  ctx: QueueContext,
  url: string,
  credentials: TemporaryCredentials,
  ttlSec: number,
): string {
  const ext = Buffer.from(
    JSON.stringify({ certificate: JSON.parse(credentials.certificate) as unknown }),
  ).toString('base64');
  const bewit = hawk.uri.getBewit(url, {
    credentials: { id: credentials.clientId, key: credentials.accessToken, algorithm: 'sha256' },
    ttlSec,
    ext,
    localtimeOffsetMsec: ctx.now().getTime() - Date.now(),
  });
  return `${url}?bewit=${bewit}`;
}
