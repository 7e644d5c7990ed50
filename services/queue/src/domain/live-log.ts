import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, conflict, notFound } from '@bulwark/api';
import { issueTemporaryCredentials } from '@bulwark/crypto';
import { queries, withTransaction } from '@bulwark/db';
import { lockAcceptingRun } from './artifact-rules.js';
import { withBewit } from './artifact-signing.js';
import type { QueueContext } from './context.js';

/** One append's most; a worker sends what it has every fraction of a second. */
export const MAX_LIVE_LOG_APPEND = 1024 * 1024;
/** A run's live log stops growing here; the uploaded log is not limited by it. */
export const MAX_LIVE_LOG_BYTES = 64 * 1024 * 1024;
/** How often a reader looks for more while the log is quiet. */
const POLL_MS = 200;
/** Chunks read per query. */
const READ_BATCH = 32;
/** A reader is ended after this long, whatever the run does; it may resume at its offset. */
const MAX_STREAM_MS = 6 * 60 * 60 * 1000;
/** Live logs are kept this long after their last write (the run is long over by then). */
export const LIVE_LOG_RETENTION_MS = 24 * 60 * 60 * 1000;
export const STALE_LIVE_LOG_BATCH = 500;

export function liveLogPath(taskId: string, runId: number): string {
  return `/api/object/v1/live-log/${taskId}/${runId}`;
}

/**
 * Appends a worker's bytes to the run's live log. `offset` must be the log's current
 * size, which makes a retried append harmless: a 409 names the size to resume from.
 * The run must accept artifacts (it is running), as for every other artifact write.
 */
export async function appendLiveLog(
  ctx: QueueContext,
  append: { taskId: string; runId: number; offset: number; data: Buffer; close: boolean },
): Promise<{ size: number }> {
  const { taskId, runId, offset, data } = append;
  return withTransaction(ctx.pool, async (db) => {
    const now = ctx.now();
    await lockAcceptingRun(db, taskId, runId, now);
    const log = await queries.liveLogs.lockLiveLog(db, taskId, runId, now);
    // A refused writer reads the size to resume from in the error body.
    const sized = { size: log.size };
    if (log.closed) {
      throw new ApiError('RequestConflict', 'This live log is complete', sized);
    }
    if (offset !== log.size) {
      throw new ApiError(
        'RequestConflict',
        `This live log holds ${log.size} bytes; an append must start there, not at ${offset}`,
        sized,
      );
    }
    if (log.size + data.length > MAX_LIVE_LOG_BYTES) {
      throw new ApiError(
        'InputTooLarge',
        `A live log may hold at most ${MAX_LIVE_LOG_BYTES} bytes; the uploaded log has the rest`,
      );
    }
    await queries.liveLogs.appendLiveLog(db, append, now);
    return { size: log.size + data.length };
  });
}

/**
 * The live log from byte `from`, following it while the run is running and the
 * worker has not closed it. Ends when the log is complete, the run is over, the
 * reader goes away, or the service stops.
 */
export async function liveLogStream(
  ctx: QueueContext,
  taskId: string,
  runId: number,
  from: number,
  stopping: AbortSignal,
): Promise<Readable> {
  const progress = await queries.liveLogs.getLiveLogProgress(ctx.pool, taskId, runId);
  if (!progress) throw notFound('Task run');
  const { log, runState } = progress;
  if (!log && runState !== 'running') throw notFound('Live log');
  if (log && from > log.size && (log.closed || runState !== 'running')) {
    throw conflict(`This live log holds ${log.size} bytes`);
  }
  const reader = new AbortController();
  const signal = AbortSignal.any([reader.signal, stopping, AbortSignal.timeout(MAX_STREAM_MS)]);
  const stream = Readable.from(follow(ctx, taskId, runId, from, signal), { objectMode: false });
  stream.on('close', () => reader.abort());
  return stream;
}

async function* follow(
  ctx: QueueContext,
  taskId: string,
  runId: number,
  from: number,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  let position = from;
  while (!signal.aborted) {
    const chunks = await queries.liveLogs.readLiveLog(
      ctx.pool,
      taskId,
      runId,
      position,
      READ_BATCH,
    );
    for (const chunk of chunks) {
      const start = position - chunk.offset;
      if (start < chunk.data.length) yield chunk.data.subarray(Math.max(0, start));
      position = chunk.offset + chunk.data.length;
    }
    if (chunks.length === READ_BATCH) continue;
    if (chunks.length === 0 && (await finished(ctx, taskId, runId, position))) return;
    await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
  }
}

/** Complete: closed by its worker, or its run is over and every byte was read. */
async function finished(
  ctx: QueueContext,
  taskId: string,
  runId: number,
  position: number,
): Promise<boolean> {
  const progress = await queries.liveLogs.getLiveLogProgress(ctx.pool, taskId, runId);
  const log = progress?.log;
  if (log?.closed && position >= log.size) return true;
  return progress?.runState !== 'running' && position >= (log?.size ?? 0);
}

/**
 * getArtifact's redirect for a reference to the run's own live log: a URL signed by
 * credentials that can read that one log and nothing else, expiring like every
 * signed download URL (S13). The reader already passed `queue:get-artifact:<name>`.
 */
export function signedLiveLogUrl(
  ctx: QueueContext,
  rootUrl: string,
  taskId: string,
  runId: number,
): string {
  const ttlSec = ctx.blobs.signedUrlTtlSeconds;
  const now = ctx.now();
  const credentials = issueTemporaryCredentials({
    issuerClientId: ctx.identity.clientId,
    issuerAccessToken: ctx.identity.accessToken,
    clientId: `live-log-reader/${taskId}/${runId}`,
    scopes: [`queue:get-live-log:${taskId}/${runId}`],
    start: now,
    expiry: new Date(now.getTime() + ttlSec * 1000),
  });
  return withBewit(ctx, `${rootUrl}${liveLogPath(taskId, runId)}`, credentials, ttlSec);
}

/** Whether a reference artifact points at its own run's live log on this queue. */
export function isOwnLiveLog(url: string | undefined, taskId: string, runId: number): boolean {
  if (url === undefined) return false;
  try {
    const parsed = new URL(url);
    return parsed.pathname === liveLogPath(taskId, runId) && parsed.search === '';
  } catch {
    return false;
  }
}

/** For the expiry job: deletes a batch of live logs nobody has written to for a day. */
export async function deleteStaleLiveLogs(ctx: QueueContext): Promise<number> {
  const before = new Date(ctx.now().getTime() - LIVE_LOG_RETENTION_MS);
  return queries.liveLogs.deleteStaleLiveLogs(ctx.pool, before, STALE_LIVE_LOG_BATCH);
}
