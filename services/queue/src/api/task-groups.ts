import { conflict, notFound } from '@bulwark/api';
import { queries, withTransaction } from '@bulwark/db';
import { afterMatching, pageLimit, pageOf } from '../domain/pagination.js';
import { priorityNumber } from '../domain/priorities.js';
import { changeTaskGroupPriority } from '../domain/priority-change.js';
import { cancelTaskGroup } from '../domain/task-group-cancel.js';
import { definitionsAndStatuses } from '../domain/task-listing.js';
import { SLUGID_PATTERN, taskIdParam } from '../schemas/common.js';
import { pageQuery } from '../schemas/lists.js';
import { changeTaskPriorityRequest, taskGroupPriorityChangeResponse } from '../schemas/priority.js';
import {
  cancelTaskGroupResponse,
  listTaskGroupResponse,
  taskGroupResponse,
} from '../schemas/task-groups.js';
import { queueApi } from './definition.js';

type TaskGroupRow = queries.queueTasks.TaskGroupRow;

const params = { taskGroupId: taskIdParam };

function taskGroupJson(group: TaskGroupRow): {
  taskGroupId: string;
  schedulerId: string;
  expires: string;
  sealed?: string;
} {
  return {
    taskGroupId: group.taskGroupId,
    schedulerId: group.schedulerId,
    expires: group.expires.toJSON(),
    ...(group.sealed ? { sealed: group.sealed.toJSON() } : {}),
  };
}

async function existingGroup(pool: queries.Queryable, taskGroupId: string): Promise<TaskGroupRow> {
  const group = await queries.queueGroups.getTaskGroup(pool, taskGroupId);
  if (!group) throw notFound('Task group');
  return group;
}

queueApi.declare({
  name: 'listTaskGroup',
  method: 'GET',
  route: '/task-group/<taskGroupId>/list',
  params,
  query: pageQuery,
  output: listTaskGroupResponse,
  scopes: 'queue:list-task-group:<taskGroupId>',
  title: 'List Task Group',
  description: [
    'Lists the tasks of the group with their definitions and statuses, in taskId',
    'order; pages of up to `limit` (at most 1000), continued with `continuationToken`.',
  ].join(' '),
  async handler(ctx, req) {
    const { taskGroupId } = req.params;
    const limit = pageLimit(req.query);
    const after = afterMatching(req.query, SLUGID_PATTERN);
    const [group, rows] = await Promise.all([
      queries.queueGroups.getTaskGroup(ctx.pool, taskGroupId),
      queries.queueGroups.listTasksInGroup(ctx.pool, taskGroupId, { after, limit: limit + 1 }),
    ]);
    if (!group) throw notFound('Task group');
    const page = pageOf(rows, limit, (t) => t.taskId);
    const listed = await definitionsAndStatuses(ctx.pool, page.items);
    return {
      ...taskGroupJson(group),
      tasks: listed.map(({ task, status }) => ({ task, status })),
      ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
    };
  },
});

queueApi.declare({
  name: 'getTaskGroup',
  method: 'GET',
  route: '/task-group/<taskGroupId>',
  params,
  output: taskGroupResponse,
  scopes: 'queue:list-task-group:<taskGroupId>',
  title: 'Get Task Group',
  description: 'Gets the group’s schedulerId, expiry and, once sealed, when it was sealed.',
  async handler(ctx, req) {
    return taskGroupJson(await existingGroup(ctx.pool, req.params.taskGroupId));
  },
});

queueApi.declare({
  name: 'sealTaskGroup',
  method: 'POST',
  route: '/task-group/<taskGroupId>/seal',
  params,
  output: taskGroupResponse,
  scopes: 'queue:seal-task-group:<schedulerId>/<taskGroupId>',
  title: 'Seal Task Group',
  description: [
    'Seals the group for good: createTask refuses new tasks in it from then on.',
    'Sealing again returns the group unchanged.',
  ].join(' '),
  async handler(ctx, req) {
    const { taskGroupId } = req.params;
    const group = await existingGroup(ctx.pool, taskGroupId);
    req.authorize({ taskGroupId, schedulerId: group.schedulerId });
    const now = ctx.now();
    const sealed = await withTransaction(ctx.pool, async (db) => {
      const updated = await queries.queueGroups.sealTaskGroup(db, taskGroupId, now);
      if (!updated) throw notFound('Task group');
      if (updated.sealed?.getTime() === now.getTime()) {
        await queries.audit.appendAudit(
          db,
          {
            entityType: 'task-group',
            entityId: taskGroupId,
            action: 'sealed',
            clientId: req.caller.clientId,
            details: { schedulerId: updated.schedulerId },
          },
          now,
        );
        // For task-group-sealed on AMQP, sent once the seal commits.
        await queries.notify(
          db,
          queries.queueEvents.GROUP_EVENTS_CHANNEL,
          JSON.stringify({ taskGroupId }),
        );
      }
      return updated;
    });
    return taskGroupJson(sealed);
  },
});

queueApi.declare({
  name: 'cancelTaskGroup',
  method: 'POST',
  route: '/task-group/<taskGroupId>/cancel',
  params,
  output: cancelTaskGroupResponse,
  scopes: 'queue:cancel-task-group:<schedulerId>/<taskGroupId>',
  title: 'Cancel Task Group',
  description: [
    'Cancels every unresolved (unscheduled, pending or running) task of the group, as',
    'cancelTask does. Only a sealed group can be cancelled; otherwise 409. A task',
    'rerun afterwards is cancelled by calling this again.',
  ].join(' '),
  async handler(ctx, req) {
    const { taskGroupId } = req.params;
    const group = await existingGroup(ctx.pool, taskGroupId);
    if (group.sealed === null) {
      throw conflict(`Task group ${taskGroupId} is not sealed; seal it before cancelling`);
    }
    req.authorize({ taskGroupId, schedulerId: group.schedulerId });
    const taskIds = await cancelTaskGroup(ctx, { taskGroupId, callerId: req.caller.clientId });
    return {
      taskGroupId,
      taskGroupSize: await queries.queueGroups.countTasksInGroup(ctx.pool, taskGroupId),
      cancelledCount: taskIds.length,
      taskIds,
    };
  },
});

queueApi.declare({
  name: 'changeTaskGroupPriority',
  method: 'POST',
  route: '/task-group/<taskGroupId>/priority',
  params,
  input: changeTaskPriorityRequest,
  output: taskGroupPriorityChangeResponse,
  scopes: 'queue:change-task-group-priority:<schedulerId>/<taskGroupId>',
  title: 'Change Task Group Priority',
  description: [
    'Gives every unresolved task of the group the new priority, in bounded batches.',
    'Pending runs move in the claim order at once; running runs keep their claim.',
  ].join(' '),
  async handler(ctx, req) {
    const { taskGroupId } = req.params;
    const group = await existingGroup(ctx.pool, taskGroupId);
    req.authorize({ taskGroupId, schedulerId: group.schedulerId });
    const taskIds = await changeTaskGroupPriority(ctx, {
      taskGroupId,
      priority: priorityNumber(req.body.newPriority),
      callerId: req.caller.clientId,
    });
    return {
      taskGroupId,
      schedulerId: group.schedulerId,
      newPriority: req.body.newPriority,
      tasksAffected: taskIds.length,
      taskIds,
    };
  },
});
