import { inputError, notFound, type ParamsFrom } from '@bulwark/api';
import { queries, withTransaction } from '@bulwark/db';
import { WORKER_EXPIRY_MS } from '../domain/claim-work.js';
import { afterParts, pageLimit, pageOf } from '../domain/pagination.js';
import { workerJson, workerListEntry } from '../domain/worker-json.js';
import { IDENTIFIER } from '../schemas/common.js';
import { pageQuery } from '../schemas/lists.js';
import {
  declareWorkerRequest,
  listWorkersResponse,
  MAX_QUARANTINE_DETAILS,
  quarantinedQuery,
  quarantineWorkerRequest,
  workerParams,
  workerResponse,
} from '../schemas/workers.js';
import { queueApi } from './definition.js';

type WorkerParams = ParamsFrom<typeof workerParams>;

const workerKey = (p: WorkerParams): queries.queueWorkers.WorkerKey => ({
  taskQueueId: `${p.provisionerId}/${p.workerType}`,
  workerGroup: p.workerGroup,
  workerId: p.workerId,
});

const ID_PART = new RegExp(IDENTIFIER.replace('*', '{1,38}'));

function parseDate(value: string, field: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw inputError(`${field} is not a valid date`);
  return date;
}

queueApi.declare({
  name: 'listWorkers',
  method: 'GET',
  route: '/provisioners/<provisionerId>/worker-types/<workerType>/workers',
  params: { provisionerId: workerParams.provisionerId, workerType: workerParams.workerType },
  query: { ...pageQuery, quarantined: quarantinedQuery },
  output: listWorkersResponse,
  scopes: 'queue:list-workers:<provisionerId>/<workerType>',
  stability: 'deprecated',
  title: 'List Workers of a Task Queue',
  description: [
    'Lists the workers seen on the queue `<provisionerId>/<workerType>` that have not',
    'expired (a worker stays listed while quarantined), ordered by workerGroup then',
    'workerId; `quarantined=true|false` keeps only workers whose quarantine holds, or',
    'does not. Pages of up to `limit` (at most 1000), continued with `continuationToken`.',
  ].join(' '),
  async handler(ctx, req) {
    const taskQueueId = `${req.params.provisionerId}/${req.params.workerType}`;
    const limit = pageLimit(req.query);
    const after = afterParts(req.query, '/', [ID_PART, ID_PART]);
    const now = ctx.now();
    const rows = await queries.queueWorkers.listWorkers(
      ctx.pool,
      taskQueueId,
      {
        after: after ? { workerGroup: after[0] ?? '', workerId: after[1] ?? '' } : undefined,
        limit: limit + 1,
        quarantined:
          req.query.quarantined === undefined ? undefined : req.query.quarantined === 'true',
      },
      now,
    );
    const page = pageOf(rows, limit, (w) => `${w.workerGroup}/${w.workerId}`);
    return {
      workers: page.items.map((w) => workerListEntry(w, now)),
      ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
    };
  },
});

queueApi.declare({
  name: 'getWorker',
  method: 'GET',
  route: '/provisioners/<provisionerId>/worker-types/<workerType>/workers/<workerGroup>/<workerId>',
  params: workerParams,
  output: workerResponse,
  scopes: 'queue:get-worker:<provisionerId>/<workerType>/<workerGroup>/<workerId>',
  stability: 'deprecated',
  title: 'Get a Worker',
  description: [
    'Gets a worker as the queue saw it: first claim, last activity, its 20 most',
    'recent claims and its quarantine. An expired worker is not found unless a',
    'quarantine still holds it.',
  ].join(' '),
  async handler(ctx, req) {
    const worker = await queries.queueWorkers.getWorker(ctx.pool, workerKey(req.params), ctx.now());
    if (!worker) throw notFound('Worker');
    return workerJson(worker);
  },
});

queueApi.declare({
  name: 'quarantineWorker',
  method: 'PUT',
  route: '/provisioners/<provisionerId>/worker-types/<workerType>/workers/<workerGroup>/<workerId>',
  params: workerParams,
  input: quarantineWorkerRequest,
  output: workerResponse,
  scopes: {
    AllOf: ['queue:quarantine-worker:<provisionerId>/<workerType>/<workerGroup>/<workerId>'],
  },
  stability: 'experimental',
  title: 'Quarantine a Worker',
  description: [
    'Until `quarantineUntil`, the worker’s claimWork calls take no tasks (they wait',
    'and answer with none); a date in the past lifts the quarantine. Each change is',
    'kept in the worker’s quarantine history with `quarantineInfo`. Only a worker the',
    'queue has seen (claimWork or declareWorker) can be quarantined.',
  ].join(' '),
  async handler(ctx, req) {
    const now = ctx.now();
    const quarantineUntil = parseDate(req.body.quarantineUntil, 'quarantineUntil');
    const key = workerKey(req.params);
    const worker = await withTransaction(ctx.pool, async (db) => {
      const updated = await queries.queueWorkers.quarantineWorker(db, key, {
        quarantineUntil,
        detail: {
          clientId: req.caller.clientId,
          updatedAt: now.toJSON(),
          quarantineUntil: quarantineUntil.toJSON(),
          quarantineInfo: req.body.quarantineInfo ?? '[unspecified]',
        },
        expires: new Date(now.getTime() + WORKER_EXPIRY_MS),
        keepDetails: MAX_QUARANTINE_DETAILS,
      });
      if (!updated) throw notFound('Worker');
      await queries.audit.appendAudit(
        db,
        {
          entityType: 'worker',
          entityId: `${key.taskQueueId}/${key.workerGroup}/${key.workerId}`,
          action: 'quarantined',
          clientId: req.caller.clientId,
          details: { quarantineUntil: quarantineUntil.toJSON() },
        },
        now,
      );
      return updated;
    });
    return workerJson(worker);
  },
});

queueApi.declare({
  name: 'declareWorker',
  method: 'PUT',
  route: '/provisioners/<provisionerId>/worker-types/<workerType>/<workerGroup>/<workerId>',
  params: workerParams,
  input: declareWorkerRequest,
  output: workerResponse,
  scopes: {
    AllOf: [
      {
        for: 'property',
        in: 'properties',
        each: 'queue:declare-worker:<provisionerId>/<workerType>/<workerGroup>/<workerId>#<property>',
      },
    ],
  },
  stability: 'experimental',
  title: 'Declare a Worker',
  description: [
    'Records the worker (and its task queue) as seen, creating it if needed, and',
    'extends its expiry to `expires`; an expiry never moves backwards. Needs',
    '`queue:declare-worker:<provisionerId>/<workerType>/<workerGroup>/<workerId>#<property>`',
    'for each property given.',
  ].join(' '),
  async handler(ctx, req) {
    req.authorize({ ...req.params, properties: Object.keys(req.body) });
    const now = ctx.now();
    const expires = parseDate(req.body.expires, 'expires');
    const key = workerKey(req.params);
    const worker = await withTransaction(ctx.pool, async (db) => {
      await queries.queueTaskQueues.taskQueueSeen(db, key.taskQueueId, expires, now);
      return queries.queueWorkers.workerSeen(db, key, expires, now);
    });
    return workerJson(worker);
  },
});
