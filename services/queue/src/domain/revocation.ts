import type pg from 'pg';
import { queries } from '@bulwark/db';
import { parseRunCredentialsName, RUN_CREDENTIALS_PREFIX } from './run-credentials.js';

/**
 * Builds the auth service's revocation check for run credentials (S3): they stop
 * working the moment their run is no longer running, not at takenUntil. Other names
 * are answered synchronously, so ordinary requests pay nothing.
 */
export function runCredentialsRevocation(
  pool: pg.Pool,
): (clientId: string) => boolean | Promise<boolean> {
  return (clientId) => {
    if (!clientId.startsWith(RUN_CREDENTIALS_PREFIX)) return false;
    const claim = parseRunCredentialsName(clientId);
    // The queue never issues such a name; refuse rather than guess.
    if (!claim) return true;
    return queries.queueRuns
      .getRun(pool, claim.taskId, claim.runId)
      .then(
        (run) =>
          run?.state !== 'running' ||
          run.workerGroup !== claim.workerGroup ||
          run.workerId !== claim.workerId,
      );
  };
}
