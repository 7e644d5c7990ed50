import { conflict, notFound } from '@bulwark/api';
import { queries, withTransaction } from '@bulwark/db';
import { waitForWork, WORKER_EXPIRY_MS } from '../domain/claim-work.js';
import { issueRunCredentials } from '../domain/run-credentials.js';
import { taskStatusJson } from '../domain/task-status.js';
import { replicaTaskQueueId } from '../domain/verification.js';
import { claimWorkRequest, claimWorkResponse, reclaimResponse } from '../schemas/claims.js';
import { runIdParam, taskIdParam, taskQueueIdParam } from '../schemas/common.js';
import { queueApi } from './definition.js';

queueApi.declare({
  name: 'claimWork',
  method: 'POST',
  route: '/claim-work/<taskQueueId>',
  wildcardParam: 'taskQueueId',
  params: { taskQueueId: taskQueueIdParam },
  input: claimWorkRequest,
  output: claimWorkResponse,
  // S5: the pool's claim-work scope and the worker's own identity.
  scopes: {
    AllOf: ['queue:claim-work:<taskQueueId>', 'queue:worker-id:<workerGroup>/<workerId>'],
  },
  title: 'Claim Work',
  description: [
    'Claims up to `tasks` pending tasks of the queue, highest priority and oldest',
    'first. Waits up to 20 seconds for work when there is none, and answers as soon',
    'as a task is claimed. Each claim carries credentials for its run.',
  ].join(' '),
  async handler(ctx, req) {
    const { taskQueueId } = req.params;
    const { workerGroup, workerId } = req.body;
    req.authorize({ taskQueueId, workerGroup, workerId });
    // The wait ends as soon as the client goes away; nothing is claimed after that.
    const gone = new AbortController();
    const onClose = (): void => {
      if (!req.reply.raw.writableEnded) gone.abort();
    };
    req.reply.raw.once('close', onClose);
    try {
      const tasks = await waitForWork(
        ctx,
        {
          taskQueueId,
          workerGroup,
          workerId,
          count: req.body.tasks ?? 1,
          callerId: req.caller.clientId,
        },
        gone.signal,
      );
      return { tasks };
    } finally {
      req.reply.raw.off('close', onClose);
    }
  },
});

queueApi.declare({
  name: 'reclaimTask',
  method: 'POST',
  route: '/task/<taskId>/runs/<runId>/reclaim',
  params: { taskId: taskIdParam, runId: runIdParam },
  output: reclaimResponse,
  scopes: 'queue:reclaim-task:<taskId>/<runId>',
  title: 'Reclaim Task',
  description: [
    'Extends the claim on a running run and returns fresh credentials for it.',
    'A conflict means the run was resolved: the worker must stop and not report.',
  ].join(' '),
  async handler(ctx, req) {
    const { taskId } = req.params;
    const runId = Number(req.params.runId);
    const now = ctx.now();
    const { task, worker, runs, takenUntil } = await withTransaction(ctx.pool, async (db) => {
      const task = await queries.queueTasks.getTask(db, taskId);
      if (!task) throw notFound('Task');
      const run = await queries.queueRuns.getRunForUpdate(db, taskId, runId);
      if (!run) throw notFound('Run');
      if (task.deadline <= now) throw conflict(`Task ${taskId} is past its deadline`);
      if (run.state !== 'running' || run.workerGroup === null || run.workerId === null) {
        throw conflict(`Run ${runId} of task ${taskId} is ${run.state}, not running`);
      }
      // now + claimTimeout, not rounded (as Taskcluster), but never earlier than the
      // current claim: a reclaim right after a claim must not shorten it.
      const extended = now.getTime() + ctx.claimTimeoutSeconds * 1000;
      const takenUntil = new Date(Math.max(extended, run.takenUntil?.getTime() ?? 0));
      await queries.queueRuns.setTakenUntil(db, taskId, runId, takenUntil);
      // A worker that is busy reclaiming is active, as Taskcluster counts it.
      await queries.queueWorkers.workerSeen(
        db,
        {
          // A quorum's trusted replica is claimed from the trusted queue.
          taskQueueId: replicaTaskQueueId(task, run.replica),
          workerGroup: run.workerGroup,
          workerId: run.workerId,
        },
        new Date(now.getTime() + WORKER_EXPIRY_MS),
        now,
      );
      const runs = await queries.queueRuns.getRuns(db, taskId);
      // Last: the audit lock is held from here to the commit.
      await queries.audit.appendAudit(
        db,
        {
          entityType: 'task',
          entityId: taskId,
          action: 'reclaimed',
          clientId: req.caller.clientId,
          details: { runId, takenUntil: takenUntil.toJSON() },
        },
        now,
      );
      return {
        task,
        worker: { workerGroup: run.workerGroup, workerId: run.workerId },
        runs,
        takenUntil,
      };
    });
    const claim = { taskId, runId, ...worker, takenUntil };
    return {
      status: taskStatusJson(task, runs),
      runId,
      ...worker,
      takenUntil: takenUntil.toJSON(),
      credentials: issueRunCredentials(ctx.identity, claim, task.scopes, now),
    };
  },
});
