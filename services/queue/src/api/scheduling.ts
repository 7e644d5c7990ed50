import { conflict, notFound, type ApiRequest } from '@bulwark/api';
import { queries, withTransaction } from '@bulwark/db';
import type { ScopeTemplate } from '@bulwark/scopes';
import { cancelTaskRuns } from '../domain/cancel.js';
import { addFirstRuns } from '../domain/first-runs.js';
import type { QueueContext } from '../domain/context.js';
import { taskStatusJson, type TaskStatusJson } from '../domain/task-status.js';
import { taskIdParam } from '../schemas/common.js';
import { taskStatusResponse } from '../schemas/status.js';
import { queueApi } from './definition.js';

/** Taskcluster allows at most this many runs; rerunTask refuses beyond it. */
const MAX_RUNS_ALLOWED = 50;

type TaskRow = queries.queueTasks.TaskRow;
// What the three task-id endpoints below share: a task id, no body, no query.
type Request = ApiRequest<{ readonly taskId: string }, undefined, object>;

/** The AnyOf pattern of schedule/cancel/rerun (reference §3.4). */
function taskActionScopes(action: string): ScopeTemplate {
  return {
    AnyOf: [
      `queue:${action}:<schedulerId>/<taskGroupId>/<taskId>`,
      `queue:${action}-in-project:<projectId>`,
      { AllOf: [`queue:${action}`, 'assume:scheduler-id:<schedulerId>/<taskGroupId>'] },
    ],
  };
}

/**
 * Loads the task, authorizes against its scheduler, group and project, then runs
 * `change` under the task row's lock, refusing once the deadline has passed (after
 * its deadline a task is immutable).
 */
async function changeTask(
  ctx: QueueContext,
  req: Request,
  action: string,
  change: (db: queries.Queryable, task: TaskRow, now: Date) => Promise<boolean>,
): Promise<{ status: TaskStatusJson }> {
  const { taskId } = req.params;
  const found = await queries.queueTasks.getTask(ctx.pool, taskId);
  if (!found) throw notFound('Task');
  req.authorize({
    taskId,
    schedulerId: found.schedulerId,
    taskGroupId: found.taskGroupId,
    projectId: found.projectId,
  });
  const now = ctx.now();
  const status = await withTransaction(ctx.pool, async (db) => {
    const task = await queries.queueTasks.getTaskForUpdate(db, taskId);
    if (!task) throw notFound('Task');
    if (task.deadline <= now) throw conflict(`Task ${taskId} is past its deadline`);
    const changed = await change(db, task, now);
    const current = await queries.queueTasks.getTask(db, taskId);
    const runs = await queries.queueRuns.getRuns(db, taskId);
    if (changed) {
      await queries.audit.appendAudit(
        db,
        {
          entityType: 'task',
          entityId: taskId,
          action,
          clientId: req.caller.clientId,
          details: { runId: runs.at(-1)?.runId },
        },
        now,
      );
    }
    return taskStatusJson(current ?? task, runs);
  });
  return { status };
}

queueApi.declare({
  name: 'scheduleTask',
  method: 'POST',
  route: '/task/<taskId>/schedule',
  params: { taskId: taskIdParam },
  output: taskStatusResponse,
  scopes: taskActionScopes('schedule-task'),
  title: 'Schedule Defined Task',
  description: [
    'Makes an unscheduled task pending (a quorum task: each of its replicas), whatever',
    'its dependencies. A task that already has runs is returned unchanged.',
  ].join(' '),
  handler: (ctx, req) =>
    changeTask(ctx, req, 'scheduled', async (db, task, now) => {
      if ((await queries.queueRuns.getRuns(db, task.taskId)).length > 0) return false;
      await addFirstRuns(db, task, now);
      return true;
    }),
});

queueApi.declare({
  name: 'cancelTask',
  method: 'POST',
  route: '/task/<taskId>/cancel',
  params: { taskId: taskIdParam },
  output: taskStatusResponse,
  scopes: taskActionScopes('cancel-task'),
  title: 'Cancel Task',
  description: [
    'Resolves the task as exception/canceled. A running run’s credentials stop',
    'working at once; a resolved task is returned unchanged.',
  ].join(' '),
  handler: (ctx, req) =>
    changeTask(ctx, req, 'canceled', (db, task, now) =>
      cancelTaskRuns(ctx, db, task, 'canceled', now),
    ),
});

queueApi.declare({
  name: 'rerunTask',
  method: 'POST',
  route: '/task/<taskId>/rerun',
  params: { taskId: taskIdParam },
  output: taskStatusResponse,
  scopes: taskActionScopes('rerun-task'),
  title: 'Rerun a Resolved Task',
  description: [
    'Adds a new pending run to a resolved task and resets its retries. A pending or',
    'running task is returned unchanged; a task with 50 runs cannot be rerun, nor a',
    'task verified by a quorum (409).',
  ].join(' '),
  handler: (ctx, req) =>
    changeTask(ctx, req, 'rerun', async (db, task, now) => {
      // A quorum's decision is final: running its replicas again would let a result
      // be re-rolled until the replicas happen to agree.
      if (task.verification !== null) {
        throw conflict(`Task ${task.taskId} is verified by a quorum and cannot be rerun`);
      }
      const runs = await queries.queueRuns.getRuns(db, task.taskId);
      const latest = runs.at(-1);
      if (latest?.state === 'pending' || latest?.state === 'running') return false;
      if (runs.length >= MAX_RUNS_ALLOWED) {
        throw conflict(`Task ${task.taskId} already has ${runs.length} runs`);
      }
      await queries.queueTasks.setRetriesLeft(db, task.taskId, task.retries);
      await queries.queueRuns.addPendingRun(
        db,
        {
          taskId: task.taskId,
          runId: runs.length,
          reasonCreated: 'rerun',
          taskQueueId: task.taskQueueId,
          priority: task.priority,
        },
        now,
      );
      return true;
    }),
});
