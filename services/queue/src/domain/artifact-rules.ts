import { randomUUID } from 'node:crypto';
import { conflict, inputError } from '@bulwark/api';
import { queries, type Queryable } from '@bulwark/db';

type RunForArtifacts = queries.queueArtifacts.RunForArtifacts;

/**
 * Runs resolved `exception` still take artifacts this long, so a worker can report the
 * exception first and upload logs after (Taskcluster's code says 25 min).
 */
export const EXCEPTION_GRACE_MS = 25 * 60 * 1000;

/** Artifacts may say they expire up to this far in the past (clock skew), as Taskcluster. */
export const EXPIRES_PAST_TOLERANCE_MS = 15 * 60 * 1000;

export function runAcceptsArtifacts(run: RunForArtifacts, now: Date): boolean {
  if (run.state === 'running') return true;
  return (
    run.state === 'exception' &&
    run.resolved !== null &&
    run.resolved.getTime() > now.getTime() - EXCEPTION_GRACE_MS
  );
}

export interface ClaimedRun extends RunForArtifacts {
  workerGroup: string;
  workerId: string;
}

/**
 * Share-locks the run for the rest of the transaction and checks that it accepts
 * artifacts now: it exists, was claimed, and is running (or just resolved exception).
 */
export async function lockAcceptingRun(
  db: Queryable,
  taskId: string,
  runId: number,
  now: Date,
): Promise<ClaimedRun> {
  const run = await queries.queueArtifacts.lockRunForArtifacts(db, taskId, runId);
  if (!run) throw inputError(`Task ${taskId} has no run ${runId}`);
  const { workerGroup, workerId } = run;
  if (workerGroup === null || workerId === null) {
    throw inputError('Run was not claimed by a worker and so no artifacts can exist');
  }
  if (!runAcceptsArtifacts(run, now)) {
    throw conflict(
      [
        `Run ${runId} of task ${taskId} is ${run.state}: artifacts cannot be created for a`,
        'resolved run, except up to 25 minutes after it was resolved `exception`.',
      ].join(' '),
    );
  }
  return { ...run, workerGroup, workerId };
}

/** A fresh Taskcluster "nice" slugid (UUID v4, first bit clear, base64url). */
export function niceSlugid(): string {
  const bytes = Buffer.from(randomUUID().replace(/-/g, ''), 'hex');
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('base64url');
}
