import type { Command } from 'commander';
import taskcluster from 'taskcluster-client';
import { loadConfig } from '../lib/credentials.js';
import type { OutputOptions } from '../lib/output.js';
import { action, apiFailure, EXIT, taskExitCode } from '../lib/run.js';
import { serverSentEvents } from '../lib/sse.js';
import { RESOLVED } from '../lib/task-follow.js';

interface EventBody {
  status: {
    state: string;
    runs: {
      runId: number;
      reasonResolved?: string;
      scheduled?: string;
      started?: string;
      resolved?: string;
    }[];
  };
  runId?: number;
  workerGroup?: string;
  workerId?: string;
}

const RESOLUTION_EVENTS = new Set(['task-completed', 'task-failed', 'task-exception']);

/**
 * `task watch ID`: the task's state changes as they happen, from the queue's event
 * stream (a URL signed by the published client from the queue's served reference, so
 * temporary credentials work as for every other call).
 */
export function registerTaskWatch(task: Command): void {
  task
    .command('watch <taskId>')
    .description('print a task’s state changes as they happen, until it resolves')
    .option('--follow', 'keep watching after the task resolves (it may be rerun)')
    .option('--json', 'print each event as one JSON line')
    .action(
      action(async (taskId: string, options: OutputOptions & { follow?: boolean }) => {
        const { rootUrl, credentials } = await loadConfig();
        const reference = (await (
          await fetch(`${rootUrl}/api/queue/v1/reference`)
        ).json()) as object;
        const Queue = taskcluster.createClient(reference);
        const queue = new Queue({ rootUrl, ...(credentials ? { credentials } : {}) });
        const url = credentials
          ? queue.buildSignedUrl(queue.taskEvents!, taskId, { expiration: 3600 })
          : queue.buildUrl(queue.taskEvents!, taskId);
        const response = await fetch(url, { headers: { accept: 'text/event-stream' } });
        if (!response.ok || !response.body) {
          const body = (await response.json().catch(() => ({}))) as {
            code?: string;
            message?: string;
          };
          throw apiFailure(
            response.status,
            body.code,
            body.message ?? `the queue answered ${response.status}`,
          );
        }
        let finalState: string | undefined;
        for await (const sse of serverSentEvents(response.body as AsyncIterable<Uint8Array>)) {
          const body = JSON.parse(sse.data) as EventBody;
          const time = eventTime(sse.event, body);
          // One object per line, as `kubectl get -w -o json` streams: `jq -c` friendly.
          if (options.json)
            process.stdout.write(JSON.stringify({ time, event: sse.event, ...body }) + '\n');
          else process.stdout.write(describe(sse.event, body, time) + '\n');
          // The history comes first; the task is done only if the latest state says so.
          if (RESOLUTION_EVENTS.has(sse.event) && RESOLVED.has(body.status.state)) {
            finalState = body.status.state;
            if (!options.follow) break;
          } else finalState = undefined;
        }
        process.exitCode = finalState === undefined ? EXIT.ok : taskExitCode(finalState);
      }),
    );
}

/**
 * When the event happened, from the run it is about: the history replayed at the start
 * of a stream carries the times things happened, not the time they were read. Events
 * without a run time of their own (task-defined, artifact-created) carry when they
 * were received.
 */
export function eventTime(event: string, body: EventBody): string {
  const run = body.runId === undefined ? undefined : body.status.runs[body.runId];
  const time =
    event === 'task-pending'
      ? run?.scheduled
      : event === 'task-running'
        ? run?.started
        : RESOLUTION_EVENTS.has(event)
          ? run?.resolved
          : undefined;
  return time ?? new Date().toISOString();
}

function describe(event: string, body: EventBody, at: string): string {
  const time = at.slice(11, 19);
  const name = event.replace(/^task-/, '');
  const run = body.runId === undefined ? '' : ` run ${body.runId}`;
  const worker = body.workerId ? ` on ${body.workerGroup ?? ''}/${body.workerId}` : '';
  const reason =
    body.runId !== undefined ? body.status.runs[body.runId]?.reasonResolved : undefined;
  const why = reason && reason !== name ? ` (${reason})` : '';
  return `${time}  ${name}${run}${worker}${why}`;
}
