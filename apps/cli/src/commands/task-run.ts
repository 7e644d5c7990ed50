import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import taskcluster, { type ServiceClient } from 'taskcluster-client';
import { UsageError } from '../lib/credentials.js';
import { fromNow } from '../lib/duration.js';
import { serviceClient } from '../lib/clients.js';
import { printJson, printTable, type OutputOptions } from '../lib/output.js';
import { action, apiFailure, taskExitCode } from '../lib/run.js';
import {
  downloadTo,
  listAllArtifacts,
  RESOLVED,
  stdoutRendering,
  streamLog,
  taskStatus,
  waitForStatus,
  type TaskStatus,
} from '../lib/task-follow.js';

interface RunOptions {
  queue: string;
  artifact: string[];
  artifactDir: string[];
  env: string[];
  scope: string[];
  maxRunTime?: string;
  deadline: string;
  proxy?: boolean;
  out: string;
  download: boolean;
  raw?: boolean;
}

/** Runs that end this way are run again by the queue; `task run` follows the next one. */
const RETRIED = new Set(['worker-shutdown', 'claim-expired', 'intermittent-task']);
/** How long the log may take to appear once a run has started. */
const LOG_WAIT_MS = 60_000;

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const say = (line: string): void => void process.stderr.write(`bulwark: ${line}\n`);

export function registerTaskRun(task: Command): void {
  const queue = async (): Promise<{ client: ServiceClient; signed: boolean }> => {
    const { client, clientId } = await serviceClient('Queue');
    return { client, signed: clientId !== undefined };
  };

  task
    .command('run')
    .description(
      'run a command as a task, stream its log, download its artifacts, exit with its status',
    )
    .argument('<command...>', 'the command and its arguments, after --')
    .option('--queue <taskQueueId>', 'the pool to run on', 'local/default')
    .option('--artifact <path>', 'a file to publish as public/<path> and download', collect, [])
    .option('--artifact-dir <path>', 'a directory to publish and download', collect, [])
    .option('--env <name=value>', 'an environment variable for the task', collect, [])
    .option('--scope <scope>', 'a scope the task needs (you must hold it)', collect, [])
    .option('--proxy', 'give the task the taskcluster proxy')
    .option('--max-run-time <seconds>', 'stop the task after this many seconds')
    .option('--deadline <duration>', 'give up on the task after this long', '1 hour')
    .option('--out <dir>', 'where artifacts are saved', '.')
    .option('--no-download', 'do not download the artifacts')
    .option('--raw', 'print the log’s bytes as they are, terminal control sequences included')
    .action(
      action(async (argv: string[], options: RunOptions) => {
        const { client, signed } = await queue();
        const taskId = taskcluster.slugid();
        await client.createTask!(taskId, runDefinition(argv, options));
        say(`task ${taskId} created on ${options.queue}`);
        const { status, exitCode } = await follow(
          client,
          signed,
          taskId,
          options.deadline,
          options.raw === true,
        );
        const run = status.runs[status.runs.length - 1];
        say(
          `task ${taskId} ${status.state}${run?.reasonResolved && run.reasonResolved !== status.state ? ` (${run.reasonResolved})` : ''}`,
        );
        if (run && options.download && status.state !== 'exception') {
          await downloadDeclared(client, taskId, run.runId, options);
        }
        process.exitCode = taskExitCode(status.state, exitCode);
      }),
    );

  task
    .command('log <taskId>')
    .description('print a run’s log, following it while the run goes on')
    .option('--run <runId>', 'which run (the latest by default)')
    .option('--raw', 'print the log’s bytes as they are, terminal control sequences included')
    .action(
      action(async (taskId: string, options: { run?: string; raw?: boolean }) => {
        const { client, signed } = await queue();
        const status = await waitForStatus(
          client,
          taskId,
          (s) => s.runs.some((r) => r.state !== 'pending') || RESOLVED.has(s.state),
          LOG_WAIT_MS,
        );
        const runId = chooseRun(status, options.run);
        const { found } = await streamLog(client, signed, taskId, runId, process.stdout, {
          waitMs: LOG_WAIT_MS,
          ...stdoutRendering(options.raw === true),
        });
        if (!found) throw apiFailure(404, 'ResourceNotFound', `run ${runId} has no log`);
      }),
    );

  task
    .command('artifacts <taskId>')
    .description('list a run’s artifacts, or download them all')
    .option('--run <runId>', 'which run (the latest by default)')
    .option('--download <dir>', 'save every artifact under this directory')
    .option('--json', 'print JSON')
    .action(
      action(
        async (taskId: string, options: OutputOptions & { run?: string; download?: string }) => {
          const { client } = await queue();
          const runId = chooseRun(await taskStatus(client, taskId), options.run);
          const artifacts = await listAllArtifacts(client, taskId, runId);
          if (options.download !== undefined) {
            for (const artifact of artifacts) {
              if (artifact.storageType === 'error' || artifact.name === 'public/logs/live.log')
                continue;
              const saved = await downloadTo(
                client,
                taskId,
                runId,
                artifact.name,
                options.download,
                artifact.name,
              );
              say(`saved ${saved}`);
            }
            return;
          }
          if (options.json) return printJson(artifacts);
          printTable(artifacts as unknown as Record<string, unknown>[], {
            name: 'NAME',
            storageType: 'TYPE',
            contentType: 'CONTENT TYPE',
            expires: 'EXPIRES',
          });
        },
      ),
    );
}

/**
 * Follows the task run by run: waits for a worker, streams the run's log to stdout,
 * waits for the run to resolve, and goes on with the next run when the queue retries.
 */
async function follow(
  client: ServiceClient,
  signed: boolean,
  taskId: string,
  deadline: string,
  raw: boolean,
): Promise<{ status: TaskStatus; exitCode: number | undefined }> {
  // The queue resolves a task whose deadline passed within about a minute after it.
  const giveUpAt = fromNow(deadline, '--deadline').getTime() + 3 * 60_000;
  let runId = 0;
  for (;;) {
    // Said once, when no worker has taken the run after a moment: the usual reason a
    // task seems stuck is that no worker serves its queue.
    const waiting = setTimeout(() => say(`waiting for a worker to take run ${runId}...`), 3_000);
    let status = await waitForStatus(
      client,
      taskId,
      (s) => RESOLVED.has(s.state) || (s.runs[runId]?.state ?? 'pending') !== 'pending',
      Math.max(0, giveUpAt - Date.now()),
    ).finally(() => clearTimeout(waiting));
    if (status.runs[runId]?.state === 'pending' && !RESOLVED.has(status.state)) {
      throw new Error(`no worker took task ${taskId} before its deadline`);
    }
    if (status.runs[runId] === undefined) return { status, exitCode: undefined };
    const { exitCode } = await streamLog(client, signed, taskId, runId, process.stdout, {
      waitMs: LOG_WAIT_MS,
      ...stdoutRendering(raw),
    });
    status = await waitForStatus(
      client,
      taskId,
      (s) => s.runs[runId]?.state !== 'running',
      Math.max(0, giveUpAt - Date.now()),
    );
    const run = status.runs[runId];
    if (!run || run.state === 'running') throw new Error(`task ${taskId} did not resolve in time`);
    if (RESOLVED.has(status.state) || !RETRIED.has(run.reasonResolved ?? '')) {
      return { status, exitCode };
    }
    say(`run ${runId} ended ${run.reasonResolved ?? run.state}; the queue runs it again`);
    runId += 1;
  }
}

function runDefinition(argv: string[], options: RunOptions): Record<string, unknown> {
  if (argv.length === 0) throw new UsageError('task run needs a command after --');
  const env: Record<string, string> = {};
  for (const entry of options.env) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new UsageError(`--env takes NAME=VALUE, not ${entry}`);
    env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  const artifacts = [
    ...options.artifact.map((path) => ({ type: 'file', path, name: `public/${path}` })),
    ...options.artifactDir.map((path) => ({ type: 'directory', path, name: `public/${path}` })),
  ];
  const payload: Record<string, unknown> = { command: argv };
  if (Object.keys(env).length > 0) payload.env = env;
  if (artifacts.length > 0) payload.artifacts = artifacts;
  if (options.proxy) payload.features = { taskclusterProxy: true };
  if (options.maxRunTime !== undefined) {
    const seconds = Number(options.maxRunTime);
    if (!Number.isInteger(seconds) || seconds < 1) {
      throw new UsageError(`--max-run-time takes whole seconds, not ${options.maxRunTime}`);
    }
    payload.maxRunTime = seconds;
  }
  return {
    taskQueueId: options.queue,
    created: new Date().toJSON(),
    deadline: fromNow(options.deadline, '--deadline').toJSON(),
    scopes: options.scope,
    payload,
    metadata: {
      name: argv.join(' ').slice(0, 255),
      description: 'run with bulwark task run',
      owner: 'bulwark-cli@localhost',
      source: 'https://localhost/bulwark-task-run',
    },
  };
}

/** Saves each declared artifact under --out, at the path it had in the task directory. */
async function downloadDeclared(
  client: ServiceClient,
  taskId: string,
  runId: number,
  options: RunOptions,
): Promise<void> {
  if (options.artifact.length + options.artifactDir.length === 0) return;
  const available = await listAllArtifacts(client, taskId, runId);
  for (const artifact of available) {
    if (artifact.storageType === 'error') continue;
    const path = artifact.name.slice('public/'.length);
    const declared =
      options.artifact.includes(path) ||
      options.artifactDir.some((dir) => path.startsWith(`${dir.replace(/\/+$/, '')}/`));
    if (!artifact.name.startsWith('public/') || !declared) continue;
    const saved = await downloadTo(client, taskId, runId, artifact.name, options.out, path);
    say(`saved ${artifact.name} to ${saved} (${(await stat(saved)).size} bytes)`);
  }
}

function chooseRun(status: TaskStatus, wanted: string | undefined): number {
  if (wanted !== undefined) {
    const runId = Number(wanted);
    if (!Number.isInteger(runId) || runId < 0)
      throw new UsageError(`--run takes a run number, not ${wanted}`);
    return runId;
  }
  const last = status.runs[status.runs.length - 1];
  if (!last) throw apiFailure(404, 'ResourceNotFound', `task ${status.taskId} has no runs yet`);
  return last.runId;
}
