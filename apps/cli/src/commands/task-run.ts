import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import taskcluster, { type ServiceClient } from 'taskcluster-client';
import { UsageError } from '../lib/credentials.js';
import { fromNow } from '../lib/duration.js';
import { serviceClient } from '../lib/clients.js';
import { printJson, printTable, type OutputOptions } from '../lib/output.js';
import { askYesNo, onTerminal } from '../lib/confirm.js';
import { followTask } from '../lib/run-follower.js';
import { action, apiFailure, EXIT, taskExitCode } from '../lib/run.js';
import {
  artifactPath,
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
  json?: boolean;
}

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
    .option('--json', 'print the outcome as JSON on stdout (the log then goes to stderr)')
    .action(
      action(async (argv: string[], options: RunOptions) => {
        const { client, signed } = await queue();
        const taskId = taskcluster.slugid();
        const deadline = fromNow(options.deadline, '--deadline');
        await client.createTask!(taskId, runDefinition(argv, options, deadline));
        say(`task ${taskId} created on ${options.queue}`);
        const interrupt = new AbortController();
        const end = await whileInterruptible(interrupt, () =>
          followTask(client, signed, taskId, {
            deadline,
            render: stdoutRendering(options.raw === true),
            out: options.json ? process.stderr : process.stdout,
            interrupt: interrupt.signal,
            say,
          }),
        );
        if (end.kind === 'interrupted') {
          process.exitCode = await stoppedFollowing(client, taskId, options.queue);
          return;
        }
        const { status } = end;
        const run = status.runs[status.runs.length - 1];
        if (end.kind === 'deadline') {
          say(`task ${taskId} passed its deadline (${deadline.toISOString()}) before it finished`);
        } else {
          say(
            `task ${taskId} ${status.state}${run?.reasonResolved && run.reasonResolved !== status.state ? ` (${run.reasonResolved})` : ''}`,
          );
        }
        const saved =
          run && options.download && status.state !== 'exception' && end.kind === 'resolved'
            ? await downloadDeclared(client, taskId, run.runId, options)
            : [];
        const exitCode = end.kind === 'resolved' ? end.exitCode : undefined;
        process.exitCode =
          end.kind === 'deadline' ? EXIT.taskException : taskExitCode(status.state, exitCode);
        if (options.json) {
          printJson({
            taskId,
            state: end.kind === 'deadline' ? 'deadline-exceeded' : status.state,
            reasonResolved: run?.reasonResolved ?? null,
            exitCode: exitCode ?? null,
            runs: status.runs,
            artifacts: saved,
          });
        }
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
            const wanted = artifacts.filter(
              (a) => a.storageType !== 'error' && a.name !== 'public/logs/live.log',
            );
            for (const [index, artifact] of wanted.entries()) {
              const saved = await downloadTo(
                client,
                taskId,
                runId,
                artifact.name,
                options.download,
                artifactPath(artifact.name),
              );
              say(`saved ${artifact.name} to ${saved} (${index + 1}/${wanted.length})`);
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

function runDefinition(
  argv: string[],
  options: RunOptions,
  deadline: Date,
): Record<string, unknown> {
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
    deadline: deadline.toJSON(),
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

/** Saves each declared artifact under --out, where `task artifacts --download` would. */
async function downloadDeclared(
  client: ServiceClient,
  taskId: string,
  runId: number,
  options: RunOptions,
): Promise<{ name: string; path: string; bytes: number }[]> {
  if (options.artifact.length + options.artifactDir.length === 0) return [];
  const available = await listAllArtifacts(client, taskId, runId);
  const wanted = available.filter((artifact) => {
    if (artifact.storageType === 'error' || !artifact.name.startsWith('public/')) return false;
    const path = artifactPath(artifact.name);
    return (
      options.artifact.includes(path) ||
      options.artifactDir.some((dir) => path.startsWith(`${dir.replace(/\/+$/, '')}/`))
    );
  });
  const saved: { name: string; path: string; bytes: number }[] = [];
  for (const [index, artifact] of wanted.entries()) {
    const path = await downloadTo(
      client,
      taskId,
      runId,
      artifact.name,
      options.out,
      artifactPath(artifact.name),
    );
    const bytes = (await stat(path)).size;
    saved.push({ name: artifact.name, path, bytes });
    say(`saved ${artifact.name} to ${path} (${bytes} bytes; ${index + 1}/${wanted.length})`);
  }
  return saved;
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

/**
 * Runs `work` with Ctrl-C turned into `interrupt` (the first one stops following; a
 * second one, while the first is handled, exits at once).
 */
async function whileInterruptible<T>(
  interrupt: AbortController,
  work: () => Promise<T>,
): Promise<T> {
  const onSignal = (): void => {
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  try {
    return await work();
  } finally {
    process.off('SIGINT', onSignal);
  }
}

/**
 * Ctrl-C stops following, not the task: say so, say how to follow or cancel it, and on
 * a terminal offer to cancel it now (as `gh run watch` does). Exits 130, as a command
 * stopped by Ctrl-C does.
 */
async function stoppedFollowing(
  client: ServiceClient,
  taskId: string,
  taskQueueId: string,
): Promise<number> {
  process.stderr.write(
    `\nbulwark: stopped following task ${taskId}; it goes on in ${taskQueueId}.\n` +
      `  follow it:  bulwark task log ${taskId}   (or: bulwark task watch ${taskId})\n` +
      `  cancel it:  bulwark task cancel ${taskId}\n`,
  );
  if (onTerminal() && (await askYesNo(`Cancel task ${taskId} now?`))) {
    await client.cancelTask!(taskId);
    say(`task ${taskId} canceled`);
  }
  return 130;
}
