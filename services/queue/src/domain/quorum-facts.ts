import { queries, type Queryable } from '@bulwark/db';
import type { QuorumFacts, QuorumSource } from './provenance-service.js';
import { quorumOutcome } from './quorum-outcome.js';

/**
 * What the provenance of a quorum task rests on, read from the queue's own decision:
 * every replica's deciding run (its worker, its queue, its times), whether they agreed,
 * and which artifacts were compared and agreed, so the verification summary names only
 * those (never a log or a declared nondeterministic artifact). Undefined for an ordinary
 * task or an undecided quorum.
 */
export const quorumFactsOf: QuorumSource = async (
  db: Queryable,
  taskId: string,
): Promise<QuorumFacts | undefined> => {
  const outcome = await quorumOutcome(db, taskId);
  if (!outcome) return undefined;
  const runs = new Map((await queries.queueRuns.getRuns(db, taskId)).map((r) => [r.runId, r]));
  const replicas: QuorumFacts['replicas'] = [];
  for (const replica of outcome.replicas) {
    const run = replica.runId === undefined ? undefined : runs.get(replica.runId);
    if (!run?.workerGroup || !run.workerId || !run.started || !run.resolved) continue;
    replicas.push({
      runId: run.runId,
      workerGroup: run.workerGroup,
      workerId: run.workerId,
      taskQueueId: replica.taskQueueId,
      started: run.started,
      resolved: run.resolved,
    });
  }
  return {
    replicas,
    agreed: outcome.reason === 'agreed',
    ...(outcome.trustedTaskQueueId ? { trustedTaskQueueId: outcome.trustedTaskQueueId } : {}),
    agreedArtifacts: outcome.artifacts.filter((a) => a.agreed).map((a) => a.name),
  };
};
