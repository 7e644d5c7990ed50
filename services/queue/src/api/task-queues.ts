import { notFound, type FromJsonSchema } from '@bulwark/api';
import { queries } from '@bulwark/db';
import { afterMatching, afterParts, pageLimit, pageOf } from '../domain/pagination.js';
import { taskDefinitionJson } from '../domain/task-definition.js';
import { SLUGID_PATTERN, TASK_QUEUE_ID, taskQueueIdParam } from '../schemas/common.js';
import { pageQuery } from '../schemas/lists.js';
import {
  listClaimedTasksResponse,
  listPendingTasksResponse,
  listTaskQueuesResponse,
  pendingTasksResponse,
  taskQueueCountsResponse,
  taskQueueResponse,
} from '../schemas/task-queues.js';
import { queueApi } from './definition.js';

type TaskQueueRow = queries.queueTaskQueues.TaskQueueRow;

const params = { taskQueueId: taskQueueIdParam };

function queueIds(taskQueueId: string): {
  provisionerId: string;
  workerType: string;
  taskQueueId: string;
} {
  const [provisionerId = '', workerType = ''] = taskQueueId.split('/');
  return { provisionerId, workerType, taskQueueId };
}

const taskQueueJson = (q: TaskQueueRow): FromJsonSchema<typeof taskQueueResponse> => ({
  taskQueueId: q.taskQueueId,
  stability: q.stability,
  description: q.description,
  expires: q.expires.toJSON(),
  lastDateActive: q.lastDateActive.toJSON(),
});

queueApi.declare({
  name: 'pendingTasks',
  method: 'GET',
  route: '/pending/<taskQueueId>',
  wildcardParam: 'taskQueueId',
  params,
  output: pendingTasksResponse,
  scopes: 'queue:pending-count:<taskQueueId>',
  stability: 'deprecated',
  title: 'Get Number of Pending Tasks',
  description: 'How many runs of the queue are pending. Deprecated: use taskQueueCounts.',
  async handler(ctx, req) {
    const { taskQueueId } = req.params;
    const { pending } = await queries.queueTaskQueues.countQueueRuns(ctx.pool, taskQueueId);
    return { ...queueIds(taskQueueId), pendingTasks: pending };
  },
});

queueApi.declare({
  name: 'taskQueueCounts',
  method: 'GET',
  route: '/task-queues/<taskQueueId>/counts',
  params,
  output: taskQueueCountsResponse,
  scopes: { AllOf: ['queue:pending-count:<taskQueueId>', 'queue:claimed-count:<taskQueueId>'] },
  title: 'Get Number of Pending and Claimed Tasks',
  description: 'How many runs of the queue are pending and how many are claimed (running).',
  async handler(ctx, req) {
    const { taskQueueId } = req.params;
    const counts = await queries.queueTaskQueues.countQueueRuns(ctx.pool, taskQueueId);
    return { ...queueIds(taskQueueId), pendingTasks: counts.pending, claimedTasks: counts.claimed };
  },
});

// Keys that are bigints: at most 18 digits, so a token can never name one past int8.
const DIGITS = /^[0-9]{1,18}$/;
const PRIORITY = /^[1-7]$/;

queueApi.declare({
  name: 'listPendingTasks',
  method: 'GET',
  route: '/task-queues/<taskQueueId>/pending',
  params,
  query: pageQuery,
  output: listPendingTasksResponse,
  scopes: 'queue:pending-list:<taskQueueId>',
  stability: 'experimental',
  title: 'List Pending Tasks',
  description: [
    'Lists the pending runs of the queue in the order claimWork takes them (highest',
    'priority first, then oldest first), with their task definitions; pages of up to',
    '`limit` (at most 1000), continued with `continuationToken`.',
  ].join(' '),
  async handler(ctx, req) {
    const limit = pageLimit(req.query);
    const after = afterParts(req.query, ':', [PRIORITY, DIGITS]);
    const rows = await queries.queueTaskQueues.listPendingRuns(ctx.pool, req.params.taskQueueId, {
      after: after ? { priority: Number(after[0]), seq: after[1] ?? '' } : undefined,
      limit: limit + 1,
    });
    const page = pageOf(rows, limit, (r) => `${r.position.priority}:${r.position.seq}`);
    return {
      tasks: page.items.map((r) => ({
        taskId: r.taskId,
        runId: r.runId,
        task: taskDefinitionJson(r.task),
        inserted: r.inserted.toJSON(),
      })),
      ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
    };
  },
});

queueApi.declare({
  name: 'listClaimedTasks',
  method: 'GET',
  route: '/task-queues/<taskQueueId>/claimed',
  params,
  query: pageQuery,
  output: listClaimedTasksResponse,
  scopes: 'queue:claimed-list:<taskQueueId>',
  stability: 'experimental',
  title: 'List Claimed Tasks',
  description: [
    'Lists the running runs of the queue, oldest claim first, with the worker holding',
    'each and its task definition; pages of up to `limit` (at most 1000), continued',
    'with `continuationToken`.',
  ].join(' '),
  async handler(ctx, req) {
    const limit = pageLimit(req.query);
    const after = afterParts(req.query, ':', [DIGITS, SLUGID_PATTERN]);
    const rows = await queries.queueTaskQueues.listClaimedRuns(ctx.pool, req.params.taskQueueId, {
      after: after ? { startedMicros: after[0] ?? '', taskId: after[1] ?? '' } : undefined,
      limit: limit + 1,
    });
    const page = pageOf(rows, limit, (r) => `${r.position.startedMicros}:${r.position.taskId}`);
    return {
      tasks: page.items.map((r) => ({
        taskId: r.taskId,
        runId: r.runId,
        workerGroup: r.workerGroup,
        workerId: r.workerId,
        claimed: r.claimed.toJSON(),
        task: taskDefinitionJson(r.task),
      })),
      ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
    };
  },
});

queueApi.declare({
  name: 'listTaskQueues',
  method: 'GET',
  route: '/task-queues',
  query: pageQuery,
  output: listTaskQueuesResponse,
  scopes: 'queue:list-task-queues',
  title: 'List Task Queues',
  description: [
    'Lists the task queues workers were active on and that have not expired, in id',
    'order; pages of up to `limit` (at most 1000), continued with `continuationToken`.',
  ].join(' '),
  async handler(ctx, req) {
    const limit = pageLimit(req.query);
    const after = afterMatching(req.query, new RegExp(TASK_QUEUE_ID));
    const rows = await queries.queueTaskQueues.listTaskQueues(
      ctx.pool,
      { after, limit: limit + 1 },
      ctx.now(),
    );
    const page = pageOf(rows, limit, (q) => q.taskQueueId);
    return {
      taskQueues: page.items.map(taskQueueJson),
      ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
    };
  },
});

queueApi.declare({
  name: 'getTaskQueue',
  method: 'GET',
  route: '/task-queues/<taskQueueId>',
  wildcardParam: 'taskQueueId',
  params,
  output: taskQueueResponse,
  scopes: 'queue:get-task-queue:<taskQueueId>',
  title: 'Get a Task Queue',
  description: 'Gets a task queue workers were active on, unless it expired.',
  async handler(ctx, req) {
    const queue = await queries.queueTaskQueues.getTaskQueue(
      ctx.pool,
      req.params.taskQueueId,
      ctx.now(),
    );
    if (!queue) throw notFound('Task queue');
    return taskQueueJson(queue);
  },
});
