/**
 * Names under `public/logs/` are the worker's own log (S18): its live log, its uploaded
 * log, its notes. The queue refuses them to everything but the run's credentials used
 * directly (`queue:create-worker-log:<taskId>/<runId>`, which the task's proxy never
 * passes on; services/queue/src/domain/worker-log.ts); the worker refuses them in
 * payloads and in the files of declared directories, and uploads the task's artifacts
 * with credentials narrowed so that the queue would refuse them anyway.
 * The prefix is compared without regard to letter case, as the queue compares it.
 */
export const WORKER_LOG_PREFIX = 'public/logs/';

export function isWorkerLogName(name: string): boolean {
  return name.slice(0, WORKER_LOG_PREFIX.length).toLowerCase() === WORKER_LOG_PREFIX;
}

/** Why a payload's artifact may not have this name, or undefined when it may. */
export function workerLogNameProblem(name: string, type: 'file' | 'directory'): string | undefined {
  // A directory named `public/logs` would put its files under the prefix.
  const reaches = type === 'directory' ? isWorkerLogName(`${name}/`) : isWorkerLogName(name);
  return reaches
    ? `is under ${WORKER_LOG_PREFIX}, which holds the worker's own log; choose another name`
    : undefined;
}

/** The scope, carried by run credentials, that writing the worker's log needs. */
export function workerLogScope(taskId: string, runId: number): string {
  return `queue:create-worker-log:${taskId}/${runId}`;
}

/** The run's artifact scope as Taskcluster spells it: all that the task's artifacts need. */
export function createArtifactScope(taskId: string, runId: number): string {
  return `queue:create-artifact:${taskId}/${runId}`;
}
