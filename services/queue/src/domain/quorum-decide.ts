import { queries, type Queryable } from '@bulwark/db';
import type { QueueContext } from './context.js';
import { scheduleSatisfiedDependents } from './dependencies.js';
import { compareReplicas, type Comparison } from './quorum-compare.js';
import type { QuorumOutcome, ReplicaOutcome } from './quorum-outcome.js';
import { writeQuorumReport } from './quorum-report.js';
import { replicaTaskQueueId, trustedReplica } from './verification.js';

type TaskRow = queries.queueTasks.TaskRow;
type RunRow = queries.queueRuns.RunRow;
type TaskVerification = queries.queueTasks.TaskVerification;

/** Each replica's latest run, in replica order (undefined: the replica has no run yet). */
export function latestRunPerReplica(
  verification: TaskVerification,
  runs: readonly RunRow[],
): (RunRow | undefined)[] {
  const latest = Array.from({ length: verification.replicas }, (): RunRow | undefined => undefined);
  for (const run of runs) {
    if (run.replica === null || run.replica >= verification.replicas) continue;
    const seen = latest[run.replica];
    if (!seen || seen.runId < run.runId) latest[run.replica] = run;
  }
  return latest;
}

/** Why the quorum ended without comparing, or that it compares now. */
export type Ending =
  | { kind: 'compare' }
  | { kind: 'replica-failed'; run: RunRow }
  | { kind: 'deadline-exceeded' | 'canceled' };

/** How many differing artifacts a decision's message names. */
const MESSAGE_ARTIFACTS = 10;

const who = (run: RunRow | undefined): string =>
  run?.workerGroup && run.workerId ? ` on ${run.workerGroup}/${run.workerId}` : '';

function describeReplica(task: TaskRow, replica: number, run: RunRow | undefined): string {
  if (!run) return `replica ${replica} never ran`;
  const state = run.state === 'pending' ? 'pending' : run.state;
  const waiting =
    run.state === 'pending' ? ` (no worker took it from ${replicaTaskQueueId(task, replica)})` : '';
  return `replica ${replica} (run ${run.runId}${who(run)}) ${state}${waiting}`;
}

function messageOf(
  task: TaskRow,
  ending: Ending,
  latest: readonly (RunRow | undefined)[],
  comparison: Comparison,
): string {
  if (ending.kind === 'compare') {
    const compared = comparison.artifacts.length;
    if (comparison.agreed) return `all ${latest.length} replicas agree on ${compared} artifacts`;
    const differing = comparison.artifacts.filter((a) => !a.agreed);
    // The message travels in every status: it names the first few, the report all.
    const more =
      differing.length > MESSAGE_ARTIFACTS
        ? `; and ${differing.length - MESSAGE_ARTIFACTS} more artifacts differ (see the report)`
        : '';
    return differing
      .slice(0, MESSAGE_ARTIFACTS)
      .map((a) => {
        const each = a.digests.map((d) => {
          const content = d.sha256 ?? (d.storageType ? `a ${d.storageType} artifact` : 'nothing');
          return `replica ${d.replica}${who(latest[d.replica])} has ${content}`;
        });
        return `artifact ${a.name} differs: ${each.join(', ')}`;
      })
      .join('; ')
      .concat(more);
  }
  if (ending.kind === 'replica-failed') {
    const run = ending.run;
    return (
      `replica ${run.replica} (run ${run.runId}${who(run)}) ended ` +
      `${run.state}/${run.reasonResolved ?? ''} with no retries left`
    );
  }
  const before =
    ending.kind === 'deadline-exceeded' ? 'before the deadline' : 'before the task was canceled';
  return (
    `the quorum was not reached ${before}: ` +
    latest.map((run, replica) => describeReplica(task, replica, run)).join('; ')
  );
}

function replicaOutcome(task: TaskRow, replica: number, run: RunRow | undefined): ReplicaOutcome {
  const verification = task.verification as TaskVerification;
  return {
    replica,
    trusted: trustedReplica(verification) === replica,
    ...(run ? { runId: run.runId } : {}),
    state: run?.state ?? 'unscheduled',
    ...(run?.reasonResolved ? { reasonResolved: run.reasonResolved } : {}),
    ...(run?.workerGroup ? { workerGroup: run.workerGroup } : {}),
    ...(run?.workerId ? { workerId: run.workerId } : {}),
    taskQueueId: replicaTaskQueueId(task, replica),
  };
}

/**
 * Decides a quorum task, under its row's lock: ends every replica still open (its
 * credentials die with it, S3), compares the replicas' artifacts when the quorum
 * completed, records the outcome on the task, writes the report artifact and only
 * then satisfies the dependencies on the task (dependents never start on one
 * replica's word). Returns the task as decided.
 */
export async function decideQuorum(
  ctx: QueueContext,
  db: Queryable,
  task: TaskRow,
  ending: Ending,
  now: Date,
): Promise<TaskRow> {
  const verification = task.verification as TaskVerification;
  const closeAs = ending.kind === 'deadline-exceeded' ? 'deadline-exceeded' : 'canceled';
  const before = await queries.queueRuns.getRuns(db, task.taskId);
  // The message says where each replica stood when the quorum ended.
  const stood = latestRunPerReplica(verification, before);
  for (const run of before) {
    if (run.state !== 'pending' && run.state !== 'running') continue;
    await queries.queueRuns.resolveRun(
      db,
      { taskId: task.taskId, runId: run.runId, state: 'exception', reasonResolved: closeAs },
      now,
    );
  }
  const runs = await queries.queueRuns.getRuns(db, task.taskId);
  const latest = latestRunPerReplica(verification, runs);
  let comparison: Comparison = { agreed: false, artifacts: [], ignored: [] };
  if (ending.kind === 'compare') {
    const deciding = latest.filter((r): r is RunRow => r !== undefined);
    const found = await queries.queueQuorum.artifactsOfRuns(
      db,
      task.taskId,
      deciding.map((r) => r.runId),
    );
    comparison = compareReplicas(
      deciding.map((run) => ({
        replica: run.replica as number,
        artifacts: found.filter((a) => a.runId === run.runId),
      })),
      verification.nondeterministic ?? [],
    );
  }
  const state =
    ending.kind === 'compare'
      ? comparison.agreed
        ? 'completed'
        : 'failed'
      : ending.kind === 'replica-failed' && ending.run.state === 'failed'
        ? 'failed'
        : 'exception';
  const reason =
    ending.kind === 'compare' ? (comparison.agreed ? 'agreed' : 'differed') : ending.kind;
  const outcome: QuorumOutcome = {
    taskId: task.taskId,
    state,
    reason,
    message: messageOf(task, ending, stood, comparison),
    decided: now.toJSON(),
    replicasRequired: verification.replicas,
    distinctBy: verification.distinctBy,
    ...(verification.trustedTaskQueueId !== undefined
      ? { trustedTaskQueueId: verification.trustedTaskQueueId }
      : {}),
    replicas: latest.map((run, replica) => replicaOutcome(task, replica, run)),
    artifacts: comparison.artifacts,
    ignored: comparison.ignored,
  };
  await queries.queueQuorum.setDecision(
    db,
    task.taskId,
    outcome as unknown as queries.queueTasks.QuorumDecision,
  );
  const reportRun = runs.at(-1);
  const report = reportRun
    ? await writeQuorumReport(ctx.blobs, db, task, reportRun.runId, outcome, now)
    : undefined;
  // S14: the decision is the queue's own act, recorded beside the runs' resolutions.
  await queries.audit.appendAudit(
    db,
    {
      entityType: 'task',
      entityId: task.taskId,
      action: 'quorum-decided',
      clientId: 'system',
      details: {
        state,
        reason,
        replicas: outcome.replicas.map((r) => ({
          replica: r.replica,
          runId: r.runId,
          workerGroup: r.workerGroup,
          workerId: r.workerId,
        })),
        ...(report ? { reportSha256: report } : {}),
      },
    },
    now,
  );
  await scheduleSatisfiedDependents(db, task.taskId, state, now);
  ctx.logger.info(
    { taskId: task.taskId, state, reason, replicas: verification.replicas },
    'quorum decided',
  );
  return { ...task, quorum: outcome as unknown as queries.queueTasks.QuorumDecision };
}
