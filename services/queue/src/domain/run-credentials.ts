import { issueTemporaryCredentials, type TemporaryCredentials } from '@bulwark/crypto';
import type { QueueIdentity } from './context.js';
import { workerLogScope } from './worker-log.js';

export const RUN_CREDENTIALS_PREFIX = 'task-client/';

export interface RunClaim {
  taskId: string;
  runId: number;
  workerGroup: string;
  workerId: string;
  takenUntil: Date;
}

export function runCredentialsName(claim: RunClaim): string {
  const until = Math.floor(claim.takenUntil.getTime() / 1000);
  return `${RUN_CREDENTIALS_PREFIX}${claim.taskId}/${claim.runId}/on/${claim.workerGroup}/${claim.workerId}/until/${until}`;
}

/**
 * The run's credentials (S3): named for the run, covering the task's scopes plus
 * this run's reclaim, resolve and create-artifact scopes, expiring at takenUntil.
 * They also cover the worker's own log artifacts (S18), which the worker's proxy
 * never passes on to the task.
 */
export function issueRunCredentials(
  identity: QueueIdentity,
  claim: RunClaim,
  taskScopes: readonly string[],
  now: Date,
): TemporaryCredentials {
  const run = `${claim.taskId}/${claim.runId}`;
  return issueTemporaryCredentials({
    issuerClientId: identity.clientId,
    issuerAccessToken: identity.accessToken,
    clientId: runCredentialsName(claim),
    scopes: [
      ...taskScopes,
      `queue:reclaim-task:${run}`,
      `queue:resolve-task:${run}`,
      `queue:create-artifact:${run}`,
      workerLogScope(claim.taskId, claim.runId),
    ],
    start: now,
    expiry: claim.takenUntil,
  });
}

const NAME_PATTERN =
  /^task-client\/([A-Za-z0-9_-]{22})\/(0|[1-9][0-9]{0,3})\/on\/([a-zA-Z0-9_-]{1,38})\/([a-zA-Z0-9_-]{1,38})\/until\/[0-9]{1,12}$/;

/** The run a credential name refers to, or undefined when it is not a well-formed run name. */
export function parseRunCredentialsName(
  clientId: string,
): { taskId: string; runId: number; workerGroup: string; workerId: string } | undefined {
  const m = NAME_PATTERN.exec(clientId);
  if (!m) return undefined;
  return {
    taskId: m[1] ?? '',
    runId: Number(m[2]),
    workerGroup: m[3] ?? '',
    workerId: m[4] ?? '',
  };
}
