import type { ServiceClient } from 'taskcluster-client';
import type { LogRenderOptions } from './log-render.js';
import { RESOLVED, streamLog, taskStatus, waitForStatus, type TaskStatus } from './task-follow.js';

/** Runs that end this way are run again by the queue; `task run` follows the next one. */
const RETRIED = new Set(['worker-shutdown', 'claim-expired', 'intermittent-task']);
/** How long the log may take to appear once a run has started. */
const LOG_WAIT_MS = 60_000;
/** How often the task's state is checked while its log streams. */
const WATCH_MS = 1_000;

export type FollowEnd =
  /** The task resolved; `exitCode` is the command's, from the worker's own lines. */
  | { kind: 'resolved'; status: TaskStatus; exitCode: number | undefined }
  /** Its deadline passed: nothing can run it any more, whether or not the queue said so yet. */
  | { kind: 'deadline'; status: TaskStatus }
  /** The user stopped following (Ctrl-C); the task goes on. */
  | { kind: 'interrupted'; status: TaskStatus };

export interface FollowOptions {
  deadline: Date;
  render: LogRenderOptions;
  /** Where the log goes: stdout, or stderr when stdout carries JSON. */
  out: NodeJS.WritableStream;
  /** Aborted on Ctrl-C. */
  interrupt: AbortSignal;
  /** Progress for people (stderr). */
  say: (line: string) => void;
}

/**
 * Follows a task run by run: waits for a worker, streams the run's log, and goes on
 * with the next run when the queue retries one. It stops as soon as the task is over
 * for good: resolved (canceled too, which stops the worker within seconds), or past its
 * deadline (nothing can run it after that, so it does not wait for the queue to say
 * so), or when the user interrupts.
 */
export async function followTask(
  queue: ServiceClient,
  signed: boolean,
  taskId: string,
  options: FollowOptions,
): Promise<FollowEnd> {
  const over = new AbortController();
  const pastDeadline = (): boolean => Date.now() > options.deadline.getTime();
  /**
   * Watches the task while its log streams (the waits below poll it themselves): a
   * canceled task or a passed deadline ends the stream.
   */
  const watchWhile = async <T>(work: () => Promise<T>): Promise<T> => {
    const watcher = setInterval(() => {
      void taskStatus(queue, taskId).then(
        (status) => {
          if (status.state === 'exception' || pastDeadline()) over.abort();
        },
        () => undefined,
      );
    }, WATCH_MS);
    try {
      return await work();
    } finally {
      clearInterval(watcher);
    }
  };
  const stop = AbortSignal.any([over.signal, options.interrupt]);
  /** Why following ends here, if it does. */
  const ended = (status: TaskStatus): FollowEnd | undefined => {
    if (options.interrupt.aborted) return { kind: 'interrupted', status };
    if (RESOLVED.has(status.state)) return { kind: 'resolved', status, exitCode: undefined };
    if (pastDeadline()) return { kind: 'deadline', status };
    return undefined;
  };
  let runId = 0;
  for (;;) {
    const waiting = setTimeout(
      () => options.say(`waiting for a worker to take run ${runId}...`),
      3_000,
    );
    const untilDeadline = Math.max(0, options.deadline.getTime() - Date.now());
    let latest = await waitForStatus(
      queue,
      taskId,
      (s) => RESOLVED.has(s.state) || (s.runs[runId]?.state ?? 'pending') !== 'pending',
      untilDeadline,
      stop,
    ).finally(() => clearTimeout(waiting));
    const early = ended(latest);
    if (early) return early;
    const { exitCode } = await watchWhile(() =>
      streamLog(queue, signed, taskId, runId, options.out, {
        waitMs: LOG_WAIT_MS,
        signal: stop,
        ...options.render,
      }),
    );
    latest = await waitForStatus(
      queue,
      taskId,
      (s) => s.runs[runId]?.state !== 'running',
      Math.max(0, options.deadline.getTime() - Date.now()),
      stop,
    );
    if (RESOLVED.has(latest.state)) return { kind: 'resolved', status: latest, exitCode };
    const late = ended(latest);
    if (late) return late;
    const run = latest.runs[runId];
    if (run && RETRIED.has(run.reasonResolved ?? '')) {
      options.say(`run ${runId} ended ${run.reasonResolved ?? ''}; the queue runs it again`);
      runId += 1;
    }
  }
}
