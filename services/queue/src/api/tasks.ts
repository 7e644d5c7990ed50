import { conflict, inputError, notFound } from '@bulwark/api';
import { queries, withTransaction } from '@bulwark/db';
import { prioritiesAtOrAbove, priorityName } from '../domain/priorities.js';
import {
  sameDefinition,
  taskDefinitionJson,
  taskRowFromInput,
  type TaskInput,
} from '../domain/task-definition.js';
import { taskStatusJson } from '../domain/task-status.js';
import { taskIdParam } from '../schemas/common.js';
import { taskStatusResponse } from '../schemas/status.js';
import { createTaskRequest, taskDefinition } from '../schemas/task.js';
import { queueApi } from './definition.js';

queueApi.declare<{ taskId: string }, TaskInput, undefined>({
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
    'the same taskId is a conflict.',
  ].join(' '),
  async handler(ctx, req) {
    const { taskId } = req.params;
    const now = ctx.now();
    const row = taskRowFromInput(taskId, req.body, now, ctx.maxTaskDeadlineDays);
    req.authorize({
      scopes: row.scopes,
      routes: row.routes,
      projectId: row.projectId,
      schedulerId: row.schedulerId,
      taskQueueId: row.taskQueueId,
      priorities: prioritiesAtOrAbove(priorityName(row.priority)),
    });
    const status = await withTransaction(ctx.pool, async (db) => {
      const group = await queries.queueTasks.ensureTaskGroup(db, {
        taskGroupId: row.taskGroupId,
        schedulerId: row.schedulerId,
        expires: row.expires,
      });
      if (group.schedulerId !== row.schedulerId) {
        throw conflict(
          `Task group ${row.taskGroupId} belongs to schedulerId ${group.schedulerId}; ` +
            'all tasks in a group must share it',
        );
      }
      if (!(await queries.queueTasks.insertTask(db, row))) {
        const existing = await queries.queueTasks.getTask(db, taskId);
        if (!existing || !sameDefinition(existing, row)) {
          throw conflict(`taskId ${taskId} is already used by another task`);
        }
        return taskStatusJson(existing, await queries.queueRuns.getRuns(db, taskId));
      }
      if (group.sealed !== null) {
        throw conflict(`Task group ${row.taskGroupId} is sealed; no tasks can be added`);
      }
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
      if (unsatisfied === 0) {
        await queries.queueRuns.addPendingRun(
          db,
          {
            taskId,
            runId: 0,
            reasonCreated: 'scheduled',
            taskQueueId: row.taskQueueId,
            priority: row.priority,
          },
          now,
        );
      }
      await queries.audit.appendAudit(
        db,
        {
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
          },
        },
        now,
      );
      return taskStatusJson(row, await queries.queueRuns.getRuns(db, taskId));
    });
    return { status };
  },
});

queueApi.declare<{ taskId: string }, undefined, undefined>({
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

queueApi.declare<{ taskId: string }, undefined, undefined>({
  name: 'status',
  method: 'GET',
  route: '/task/<taskId>/status',
  params: { taskId: taskIdParam },
  scopes: 'queue:status:<taskId>',
  output: taskStatusResponse,
  title: 'Get Task Status',
  description: 'Gets the task’s state and every run.',
  async handler(ctx, req) {
    const task = await queries.queueTasks.getTask(ctx.pool, req.params.taskId);
    if (!task) throw notFound('Task');
    return {
      status: taskStatusJson(task, await queries.queueRuns.getRuns(ctx.pool, task.taskId)),
    };
  },
});
