/**
 * The worker's own log artifacts (S18). Every name under `public/logs/` belongs to the
 * worker that runs the task: its live log, its uploaded log, its notes such as
 * `public/logs/malformed-payload`. Writing one needs, besides the run's
 * `queue:create-artifact:<taskId>/<runId>`, `queue:create-worker-log:<taskId>/<runId>`.
 * Run credentials carry both; the proxy a task uses narrows them with authorizedScopes
 * to the task's scopes plus create-artifact, so nothing a task sends through it can
 * create, replace or re-point the worker's log.
 *
 * The prefix is compared without regard to letter case, so `Public/Logs/live.log`, a
 * name a reader could take for the log, is the worker's too. The name compared is the
 * decoded route parameter, the one stored: every spelling of a URL that reaches a name
 * reaches this check.
 */
export const WORKER_LOG_PREFIX = 'public/logs/';

export function isWorkerLogName(name: string): boolean {
  return name.slice(0, WORKER_LOG_PREFIX.length).toLowerCase() === WORKER_LOG_PREFIX;
}

/** The scope the run's worker holds and its task's proxy never passes on. */
export function workerLogScope(taskId: string, runId: number): string {
  return `queue:create-worker-log:${taskId}/${runId}`;
}
