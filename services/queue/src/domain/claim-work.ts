import { queries, withTransaction } from '@bulwark/db';
import type { TemporaryCredentials } from '@bulwark/crypto';
import type { QueueContext } from './context.js';
import { issueRunCredentials } from './run-credentials.js';
import { taskDefinitionJson, type TaskDefinition } from './task-definition.js';
import { taskStatusJson, type TaskStatusJson } from './task-status.js';

export interface Claim {
  status: TaskStatusJson;
  runId: number;
  workerGroup: string;
  workerId: string;
  takenUntil: string;
  task: TaskDefinition;
  credentials: TemporaryCredentials;
}

/** takenUntil on claim: now + claimTimeout, rounded up to a whole second (as Taskcluster). */
export function claimedUntil(ctx: QueueContext, now: Date): Date {
  return new Date(Math.ceil((now.getTime() + ctx.claimTimeoutSeconds * 1000) / 1000) * 1000);
}

/** A worker record lives this long after the worker was last seen (Taskcluster: 1 day). */
export const WORKER_EXPIRY_MS = 24 * 60 * 60 * 1000;

/**
 * How stale a worker's lastDateActive may get before a claim attempt that takes
 * nothing rewrites it. Bounds the writes of idle long-polling workers to one a minute
 * each (Taskcluster refreshes every half hour).
 */
export const WORKER_SEEN_REFRESH_MS = 60 * 1000;

/**
 * One attempt to claim up to `count` pending runs of the queue for the worker; a
 * quarantined worker takes nothing. The runs, the worker record, their audit records
 * (S14, written by the claim statement) and the read of their tasks commit together; credentials are issued only for
 * runs that were claimed.
 */
export async function claimPendingWork(
  ctx: QueueContext,
  request: {
    taskQueueId: string;
    workerGroup: string;
    workerId: string;
    count: number;
    callerId: string;
  },
): Promise<Claim[]> {
  const now = ctx.now();
  const takenUntil = claimedUntil(ctx, now);
  const claimed = await withTransaction(ctx.pool, async (db) => {
    const claims = await queries.queueRuns.claimPendingRuns(
      db,
      {
        taskQueueId: request.taskQueueId,
        count: request.count,
        workerGroup: request.workerGroup,
        workerId: request.workerId,
        takenUntil,
        workerExpires: new Date(now.getTime() + WORKER_EXPIRY_MS),
        refreshSeenBefore: new Date(now.getTime() - WORKER_SEEN_REFRESH_MS),
        auditClientId: request.callerId,
      },
      now,
    );
    // A first run (runId 0) is its task's only run; only retries and reruns have
    // earlier runs to read, and replicas of a quorum task, which run side by side.
    const later = claims
      .filter(({ run, task }) => run.runId > 0 || task.verification !== null)
      .map(({ task }) => task.taskId);
    const runsByTask = await queries.queueRuns.getRunsOfTasks(db, later);
    return claims.map(({ run, task }) => ({
      run,
      task,
      runs: runsByTask.get(task.taskId) ?? [run],
    }));
  });
  return claimed.map(({ run, task, runs }) => {
    const claim = {
      taskId: run.taskId,
      runId: run.runId,
      workerGroup: request.workerGroup,
      workerId: request.workerId,
      takenUntil,
    };
    return {
      status: taskStatusJson(task, runs),
      runId: run.runId,
      workerGroup: request.workerGroup,
      workerId: request.workerId,
      takenUntil: takenUntil.toJSON(),
      task: taskDefinitionJson(task),
      credentials: issueRunCredentials(ctx.identity, claim, task.scopes, now),
    };
  });
}

/**
 * claimWork's long poll: claims at once when work is pending, else waits for the
 * queue's notification and tries again, until the timeout or until the client goes
 * away. Returns as soon as anything was claimed.
 */
export async function waitForWork(
  ctx: QueueContext,
  request: Parameters<typeof claimPendingWork>[1],
  signal: AbortSignal,
): Promise<Claim[]> {
  // By the queue's clock, so that a test can move past the timeout without waiting for it.
  const until = ctx.now().getTime() + ctx.claimWorkTimeoutMs;
  const watch = ctx.waiters.watch(request.taskQueueId);
  try {
    await ctx.taskQueueActivity.seen(request.taskQueueId, ctx.now());
    for (;;) {
      // A departed client or a shutting-down server gets nothing more.
      if (signal.aborted || ctx.waiters.closed) return [];
      const claims = await claimPendingWork(ctx, request);
      if (claims.length > 0) return claims;
      const remaining = until - ctx.now().getTime();
      if (remaining <= 0) return [];
      // Between attempts, look again at least this often, in case a notification was lost.
      await watch.next(Math.min(remaining, ctx.claimWorkSafetyPollMs), signal);
      if (ctx.waiters.closed) return [];
    }
  } finally {
    watch.close();
  }
}
