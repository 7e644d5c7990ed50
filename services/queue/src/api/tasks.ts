import { conflict, inputError, notFound } from '@bulwark/api';
import { queries, withTransaction } from '@bulwark/db';
import { addFirstRuns } from '../domain/first-runs.js';
import { afterMatching, pageLimit, pageOf } from '../domain/pagination.js';
import { changeTaskPriority } from '../domain/priority-change.js';
import { prioritiesAtOrAbove, priorityName, priorityNumber } from '../domain/priorities.js';
import { sameDefinition, taskDefinitionJson, taskRowFromInput } from '../domain/task-definition.js';
import { definitionsAndStatuses } from '../domain/task-listing.js';
import { taskStatusJson } from '../domain/task-status.js';
import { verifyTaskScopes } from '../domain/verification.js';
import { SLUGID_PATTERN, taskIdParam } from '../schemas/common.js';
import {
  listDependentTasksResponse,
  pageQuery,
  statusesResponse,
  tasksRequest,
  tasksResponse,
} from '../schemas/lists.js';
import { changeTaskPriorityRequest } from '../schemas/priority.js';
import { taskStatusResponse } from '../schemas/status.js';
import { createTaskRequest, taskDefinition } from '../schemas/task.js';
import { queueApi } from './definition.js';

queueApi.declare({
  name: 'createTask',
  method: 'PUT',
  route: '/task/<taskId>',
  params: { taskId: taskIdParam },
  input: createTaskRequest,
  output: taskStatusResponse,
  // Reference §3.4: the task's own scopes, its routes, project and scheduler, and
  // create-task for its queue at its priority or any higher one.
  scopes: {
    AllOf: [
      { for: 'scope', in: 'scopes', each: '<scope>' },
      { for: 'route', in: 'routes', each: 'queue:route:<route>' },
      // Bulwark: a task that asks for a quorum needs queue:verify-task for its queue
      // and for its trusted queue (docs/quorum.md); an ordinary task, none.
      { for: 'scope', in: 'verifyScopes', each: '<scope>' },
      'queue:create-task:project:<projectId>',
      'queue:scheduler-id:<schedulerId>',
      {
        AnyOf: [
          {
            for: 'priority',
            in: 'priorities',
            each: 'queue:create-task:<priority>:<taskQueueId>',
          },
        ],
      },
    ],
  },
  title: 'Create New Task',
  description: [
    'Creates a task and, when it has no unsatisfied dependencies, makes its first run',
    'pending. The caller must hold every scope the task carries (no escalation, S4).',
    'Creating the same definition again returns its status; a different one under',
    'the same taskId is a conflict. Bulwark extension: a `verification` asks for a',
    'quorum of replicas on distinct workers (docs/quorum.md) and needs',
    '`queue:verify-task:<taskQueueId>`, and with a trusted queue also',
    '`queue:verify-task:<trustedTaskQueueId>`.',
  ].join(' '),
  async handler(ctx, req) {
    const { taskId } = req.params;
    const now = ctx.now();
    const row = taskRowFromInput(taskId, req.body, now, ctx.maxTaskDeadlineDays);
    req.authorize({
      scopes: row.scopes,
      routes: row.routes,
      verifyScopes: verifyTaskScopes(row.verification, row.taskQueueId),
      projectId: row.projectId,
      schedulerId: row.schedulerId,
      taskQueueId: row.taskQueueId,
      priorities: prioritiesAtOrAbove(priorityName(row.priority)),
    });
    const audit = {
      entityType: 'task',
      entityId: taskId,
      action: 'created',
      clientId: req.caller.clientId,
      details: {
        taskQueueId: row.taskQueueId,
        taskGroupId: row.taskGroupId,
        schedulerId: row.schedulerId,
        projectId: row.projectId,
        scopes: row.scopes,
        ...(row.verification !== null ? { verification: row.verification } : {}),
      },
    };
    const status = await withTransaction(ctx.pool, async (db) => {
      // Group, task, audit entry and, without dependencies, the pending run: one
      // statement. Every refusal below throws, which rolls all of it back.
      const created = await queries.queueLifecycle.insertTaskAndSchedule(
        db,
        row,
        // A quorum task's replicas are added below, one run each.
        { schedule: row.dependencies.length === 0 && row.verification === null, audit },
        now,
      );
      if (created.groupSchedulerId !== row.schedulerId) {
        throw conflict(
          `Task group ${row.taskGroupId} belongs to schedulerId ${created.groupSchedulerId}; ` +
            'all tasks in a group must share it',
        );
      }
      if (!created.inserted) {
        const existing = await queries.queueTasks.getTask(db, taskId);
        if (!existing || !sameDefinition(existing, row)) {
          throw conflict(`taskId ${taskId} is already used by another task`);
        }
        return taskStatusJson(existing, await queries.queueRuns.getRuns(db, taskId));
      }
      if (created.groupSealed) {
        throw conflict(`Task group ${row.taskGroupId} is sealed; no tasks can be added`);
      }
      if (created.run) return taskStatusJson(row, [created.run]);
      const others = row.dependencies.filter((id) => id !== taskId);
      const found = await queries.queueTasks.lockExistingTasks(db, others);
      if (found.length !== others.length) {
        const missing = others.filter((id) => !found.includes(id));
        throw inputError(`dependencies do not exist: ${missing.slice(0, 10).join(', ')}`);
      }
      const unsatisfied = await queries.queueTasks.insertDependencies(
        db,
        { taskId, requires: row.requires, expires: row.expires },
        row.dependencies,
      );
      if (unsatisfied === 0) await addFirstRuns(db, row, now);
      return taskStatusJson(row, await queries.queueRuns.getRuns(db, taskId));
    });
    return { status };
  },
});

queueApi.declare({
  name: 'task',
  method: 'GET',
  route: '/task/<taskId>',
  params: { taskId: taskIdParam },
  scopes: 'queue:get-task:<taskId>',
  output: taskDefinition,
  title: 'Get Task Definition',
  description: 'Gets the task definition, with every default filled in.',
  async handler(ctx, req) {
    const task = await queries.queueTasks.getTask(ctx.pool, req.params.taskId);
    if (!task) throw notFound('Task');
    return taskDefinitionJson(task);
  },
});

queueApi.declare({
  name: 'status',
  method: 'GET',
  route: '/task/<taskId>/status',
  params: { taskId: taskIdParam },
  scopes: 'queue:status:<taskId>',
  output: taskStatusResponse,
  title: 'Get Task Status',
  description: [
    'Gets the task’s state and every run; for a task verified by a quorum, also its',
    'replicas, their workers and the digests of their artifacts (Bulwark extension).',
  ].join(' '),
  async handler(ctx, req) {
    const task = await queries.queueTasks.getTask(ctx.pool, req.params.taskId);
    if (!task) throw notFound('Task');
    const runs = await queries.queueRuns.getRuns(ctx.pool, task.taskId);
    // An undecided quorum shows the digests its completed replicas have so far.
    const completedReplicaRuns =
      task.verification && !task.quorum
        ? runs.filter((r) => r.replica !== null && r.state === 'completed').map((r) => r.runId)
        : [];
    const artifacts = await queries.queueQuorum.artifactsOfRuns(
      ctx.pool,
      task.taskId,
      completedReplicaRuns,
    );
    return { status: taskStatusJson(task, runs, artifacts) };
  },
});

queueApi.declare({
  name: 'tasks',
  method: 'POST',
  route: '/tasks',
  query: pageQuery,
  input: tasksRequest,
  output: tasksResponse,
  scopes: { AllOf: [{ for: 'taskId', in: 'taskIds', each: 'queue:get-task:<taskId>' }] },
  title: 'Get Multiple Task Definitions',
  description: [
    'Returns the definition of each given task that exists, in taskId order; unknown',
    'ids are skipped. Needs `queue:get-task:<taskId>` for every id asked for. Pages',
    'of up to `limit` (at most 1000) tasks; pass `continuationToken` for the next.',
  ].join(' '),
  async handler(ctx, req) {
    const taskIds = req.body.taskIds ?? [];
    req.authorize({ taskIds });
    const limit = pageLimit(req.query);
    const rows = await queries.queueTasks.getTasksByIds(ctx.pool, taskIds, {
      after: afterMatching(req.query, SLUGID_PATTERN),
      limit: limit + 1,
    });
    const page = pageOf(rows, limit, (t) => t.taskId);
    return {
      tasks: page.items.map((t) => ({ taskId: t.taskId, task: taskDefinitionJson(t) })),
      ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
    };
  },
});

queueApi.declare({
  name: 'statuses',
  method: 'POST',
  route: '/tasks/status',
  query: pageQuery,
  input: tasksRequest,
  output: statusesResponse,
  scopes: { AllOf: [{ for: 'taskId', in: 'taskIds', each: 'queue:status:<taskId>' }] },
  title: 'Get Multiple Task Statuses',
  description: [
    'Returns the status of each given task that exists, in taskId order; unknown ids',
    'are skipped, so callers must handle the difference. Needs `queue:status:<taskId>`',
    'for every id asked for. Paged like `tasks`.',
  ].join(' '),
  async handler(ctx, req) {
    const taskIds = req.body.taskIds ?? [];
    req.authorize({ taskIds });
    const limit = pageLimit(req.query);
    const rows = await queries.queueTasks.getTasksByIds(ctx.pool, taskIds, {
      after: afterMatching(req.query, SLUGID_PATTERN),
      limit: limit + 1,
    });
    const page = pageOf(rows, limit, (t) => t.taskId);
    const listed = await definitionsAndStatuses(ctx.pool, page.items);
    return {
      statuses: listed.map(({ taskId, status }) => ({ taskId, status })),
      ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
    };
  },
});

queueApi.declare({
  name: 'listDependentTasks',
  method: 'GET',
  route: '/task/<taskId>/dependents',
  params: { taskId: taskIdParam },
  query: pageQuery,
  output: listDependentTasksResponse,
  scopes: 'queue:list-dependent-tasks:<taskId>',
  title: 'List Dependent Tasks',
  description: [
    'Lists the tasks that have `taskId` among their dependencies, with definition and',
    'status, in taskId order; pages of up to `limit` (at most 1000), continued with',
    '`continuationToken`.',
  ].join(' '),
  async handler(ctx, req) {
    const { taskId } = req.params;
    const limit = pageLimit(req.query);
    const after = afterMatching(req.query, SLUGID_PATTERN);
    const [task, rows] = await Promise.all([
      queries.queueTasks.getTask(ctx.pool, taskId),
      queries.queueTasks.listDependentTasks(ctx.pool, taskId, { after, limit: limit + 1 }),
    ]);
    if (!task) throw notFound('Task');
    const page = pageOf(rows, limit, (t) => t.taskId);
    const listed = await definitionsAndStatuses(ctx.pool, page.items);
    return {
      taskId,
      tasks: listed.map(({ task: definition, status }) => ({ task: definition, status })),
      ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
    };
  },
});

queueApi.declare({
  name: 'changeTaskPriority',
  method: 'POST',
  route: '/task/<taskId>/priority',
  params: { taskId: taskIdParam },
  input: changeTaskPriorityRequest,
  output: taskStatusResponse,
  scopes: {
    AnyOf: [
      'queue:change-task-priority:<taskId>',
      'queue:change-task-priority-in-queue:<taskQueueId>',
    ],
  },
  title: 'Change Task Priority',
  description: [
    'Gives an unresolved task a new priority. A pending run moves in the claim order',
    'at once; a running run keeps its claim and retries get the new priority. A task',
    'past its deadline or already resolved is a conflict.',
  ].join(' '),
  async handler(ctx, req) {
    const { taskId } = req.params;
    const found = await queries.queueTasks.getTask(ctx.pool, taskId);
    if (!found) throw notFound('Task');
    req.authorize({ taskId, taskQueueId: found.taskQueueId });
    const priority = priorityNumber(req.body.newPriority);
    const now = ctx.now();
    const status = await withTransaction(ctx.pool, async (db) => {
      const task = await queries.queueTasks.getTaskForUpdate(db, taskId);
      if (!task) throw notFound('Task');
      if (task.deadline <= now) throw conflict(`Task ${taskId} is past its deadline`);
      const outcome = await changeTaskPriority(db, task, priority);
      if (outcome === 'resolved') {
        throw conflict(`Task ${taskId} is already resolved and cannot be reprioritized`);
      }
      if (outcome === 'changed') {
        await queries.audit.appendAudit(
          db,
          {
            entityType: 'task',
            entityId: taskId,
            action: 'priority-changed',
            clientId: req.caller.clientId,
            details: { from: priorityName(task.priority), to: req.body.newPriority },
          },
          now,
        );
      }
      return taskStatusJson(task, await queries.queueRuns.getRuns(db, taskId));
    });
    return { status };
  },
});
