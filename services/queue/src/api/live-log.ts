import { ApiError, Reply, type ParamSpec } from '@bulwark/api';
import { appendLiveLog, liveLogStream, MAX_LIVE_LOG_APPEND } from '../domain/live-log.js';
import { runIdParam, taskIdParam } from '../schemas/common.js';
import { objectApi } from './object-definition.js';

const params = { taskId: taskIdParam, runId: runIdParam };
const offsetQuery: ParamSpec = { pattern: /^(0|[1-9][0-9]{0,14})$/, maxLength: 15 };
const finalQuery: ParamSpec = { pattern: /^(true|false)$/, maxLength: 5 };

objectApi.declare({
  name: 'appendLiveLog',
  method: 'POST',
  route: '/live-log/<taskId>/<runId>',
  params,
  query: { offset: offsetQuery, final: finalQuery },
  // The run's own credentials carry exactly these (and nothing for other runs); the
  // worker-log scope never passes the task's proxy, so a task cannot write here (S18).
  scopes: {
    AllOf: ['queue:create-artifact:<taskId>/<runId>', 'queue:create-worker-log:<taskId>/<runId>'],
  },
  category: 'Live logs',
  stability: 'experimental',
  title: 'Append to a run’s live log',
  description: [
    'A worker sends its running task’s log here as it is written (`application/octet-stream`,',
    `at most ${MAX_LIVE_LOG_APPEND} bytes per call), starting at \`offset\`, which must be the`,
    'log’s current size (a 409 answers the `size` to resume from);',
    '`final=true` marks it complete. Only while the run accepts artifacts, and only with',
    'the worker-log scope that run credentials carry and a task’s proxy never passes on.',
    'Readers reach',
    'it through the run’s `public/logs/live.log` reference artifact.',
  ].join(' '),
  async handler(ctx, req) {
    const offset = Number(req.query.offset ?? '0');
    const data = await readBody(req.raw.raw, MAX_LIVE_LOG_APPEND);
    return appendLiveLog(ctx, {
      taskId: req.params.taskId,
      runId: Number(req.params.runId),
      offset,
      data,
      close: req.query.final === 'true',
    });
  },
});

objectApi.declare({
  name: 'liveLog',
  method: 'GET',
  route: '/live-log/<taskId>/<runId>',
  params,
  query: { offset: offsetQuery },
  scopes: {
    AnyOf: ['queue:get-live-log:<taskId>/<runId>', 'queue:get-artifact:public/logs/live.log'],
  },
  category: 'Live logs',
  stability: 'experimental',
  title: 'Follow a run’s live log',
  description: [
    'Streams the run’s log from `offset` (default 0) as the worker sends it, and ends when',
    'the log is complete or the run is over. getArtifact on `public/logs/live.log` redirects',
    'here with a signed URL for one run; after the run, that artifact serves the uploaded log.',
  ].join(' '),
  async handler(ctx, req) {
    const stream = await liveLogStream(
      ctx,
      req.params.taskId,
      Number(req.params.runId),
      Number(req.query.offset ?? '0'),
      ctx.stopping,
    );
    return new Reply(200, stream, {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
    });
  },
});

/** The whole request body, refused with 413 past `limit` bytes (nothing is stored then). */
async function readBody(stream: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > limit) {
      throw new ApiError('InputTooLarge', `An append may carry at most ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
