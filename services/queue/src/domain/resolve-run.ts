import { conflict, notFound } from '@bulwark/api';
import { queries, withTransaction } from '@bulwark/db';
import type { QueueContext } from './context.js';
import { scheduleDependents, scheduleSatisfiedDependents } from './dependencies.js';
import { resolveReplicaRun } from './quorum-resolve.js';
import { retryIfAllowed } from './retry.js';
import { taskStatusJson, type TaskStatusJson } from './task-status.js';

export type Resolution =
  | { state: 'completed'; reason: 'completed' }
  | { state: 'failed'; reason: 'failed' }
  | {
      state: 'exception';
      reason:
        | 'worker-shutdown'
        | 'malformed-payload'
        | 'resource-unavailable'
        | 'internal-error'
        | 'intermittent-task';
    };

const RETRY_REASON = {
  'worker-shutdown': 'retry',
  'intermittent-task': 'task-retry',
} as const;

/**
 * reportCompleted / reportFailed / reportException (reference §3.5): only a running
 * run resolves; reporting the resolution it already has is a no-op (idempotent);
 * worker-shutdown and intermittent-task retry while retries remain. The run's
 * credentials stop working when this commits (S3). A quorum task's replica resolves
 * through its quorum (quorum-resolve.ts).
 */
export async function resolveRunAs(
  ctx: QueueContext,
  target: { taskId: string; runId: number; callerId: string },
  resolution: Resolution,
): Promise<TaskStatusJson> {
  const now = ctx.now();
  return withTransaction(ctx.pool, async (db) => {
    const { task, run } = await queries.queueLifecycle.lockTaskAndRun(
      db,
      target.taskId,
      target.runId,
    );
    if (!task) throw notFound('Task');
    if (!run) throw notFound('Run');
    if (run.state === resolution.state && run.reasonResolved === resolution.reason) {
      return taskStatusJson(task, await queries.queueRuns.getRuns(db, task.taskId));
    }
    if (run.state !== 'running') {
      throw conflict(`Run ${target.runId} of task ${target.taskId} is ${run.state}, not running`);
    }
    const resolvedRun = {
      taskId: task.taskId,
      runId: run.runId,
      state: resolution.state,
      reasonResolved: resolution.reason,
    };
    const auditEntry = (retried: boolean) => ({
      entityType: 'task',
      entityId: task.taskId,
      action: 'resolved',
      clientId: target.callerId,
      details: { runId: run.runId, state: resolution.state, reason: resolution.reason, retried },
    });
    if (task.verification !== null) {
      // A replica of a quorum task: the quorum decides the task (docs/quorum.md).
      const step = await resolveReplicaRun(
        ctx,
        db,
        task,
        run,
        { state: resolution.state, reasonResolved: resolution.reason },
        now,
      );
      await queries.audit.appendAudit(
        db,
        {
          ...auditEntry(step.retried),
          details: { ...auditEntry(step.retried).details, replica: run.replica },
        },
        now,
      );
      return taskStatusJson(step.task, await queries.queueRuns.getRuns(db, task.taskId));
    }
    const retryReason =
      resolution.state === 'exception'
        ? RETRY_REASON[resolution.reason as keyof typeof RETRY_REASON]
        : undefined;
    if (retryReason === undefined) {
      // No retry can follow: resolution, dependencies and audit entry in one statement.
      const { runs, dependents } = await queries.queueLifecycle.resolveRunningRun(
        db,
        resolvedRun,
        auditEntry(false),
        now,
      );
      await scheduleDependents(db, dependents, now);
      return taskStatusJson(task, runs);
    }
    await queries.queueRuns.resolveRun(db, resolvedRun, now);
    const retried = await retryIfAllowed(db, task, run.runId, retryReason, now);
    if (!retried) await scheduleSatisfiedDependents(db, task.taskId, resolution.state, now);
    const runs = await queries.queueRuns.getRuns(db, task.taskId);
    await queries.audit.appendAudit(db, auditEntry(retried), now);
    const updated = retried ? { ...task, retriesLeft: task.retriesLeft - 1 } : task;
    return taskStatusJson(updated, runs);
  });
}
