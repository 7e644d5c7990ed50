import type { Command } from 'commander';
import YAML from 'yaml';
import taskcluster, { type ServiceClient } from 'taskcluster-client';
import { serviceClient } from '../lib/clients.js';
import { confirmDestructive } from '../lib/confirm.js';
import { readInput } from '../lib/input.js';
import { printFields, printJson, printTable, type OutputOptions } from '../lib/output.js';
import { action } from '../lib/run.js';
import { taskFromDocument } from '../lib/task-file.js';
import { quorumLines, type QuorumStatus } from './quorum-lines.js';
import { registerTaskRun } from './task-run.js';
import { registerTaskWatch } from './task-watch.js';

interface CreateOptions extends OutputOptions {
  taskId?: string;
}

interface Status {
  taskId: string;
  state: string;
  taskQueueId: string;
  schedulerId: string;
  taskGroupId: string;
  deadline: string;
  retriesLeft: number;
  runs: Record<string, unknown>[];
  /** Bulwark extension: the quorum of a verified task. */
  quorum?: QuorumStatus;
}

export function printStatus(status: Status, options: OutputOptions): void {
  if (options.json) return printJson(status);
  printFields(status as unknown as Record<string, unknown>, {
    taskId: 'task',
    state: 'state',
    taskQueueId: 'queue',
    taskGroupId: 'group',
    deadline: 'deadline',
    retriesLeft: 'retries left',
  });
  if (status.quorum) process.stdout.write(`\n${quorumLines(status.quorum).join('\n')}\n`);
  if (status.runs.length === 0) return;
  process.stdout.write('\n');
  printTable(status.runs, {
    runId: 'RUN',
    ...(status.quorum ? { replica: 'REPLICA' } : {}),
    state: 'STATE',
    reasonCreated: 'CREATED',
    reasonResolved: 'RESOLVED',
    workerId: 'WORKER',
    resolved: 'AT',
  });
}

export function registerTask(program: Command): void {
  const task = program.command('task').description('create and follow tasks');
  const queue = async (): Promise<ServiceClient> => (await serviceClient('Queue')).client;

  task
    .command('create [file]')
    .description('create a task from a YAML or JSON file (or stdin); times may be durations')
    .option('--task-id <id>', 'the taskId to use (a new slugid by default)')
    .option('--json', 'print JSON')
    .action(
      action(async (file: string | undefined, options: CreateOptions) => {
        const source = file ?? 'stdin';
        const definition = taskFromDocument(await readInput(file, 'the task'), source);
        const taskId = options.taskId ?? taskcluster.slugid();
        definition.taskGroupId ??= taskId;
        const { status } = (await (
          await queue()
        ).createTask!(taskId, definition)) as {
          status: Status;
        };
        if (options.json) return printJson(status);
        process.stdout.write(`${taskId}\n`);
      }),
    );

  task
    .command('status <taskId>')
    .description('show a task’s state and runs')
    .option('--json', 'print JSON')
    .action(
      action(async (taskId: string, options: OutputOptions) => {
        const { status } = (await (await queue()).status!(taskId)) as { status: Status };
        printStatus(status, options);
      }),
    );

  task
    .command('show <taskId>')
    .description('print a task’s definition (YAML, or JSON with --json)')
    .option('--json', 'print JSON')
    .action(
      action(async (taskId: string, options: OutputOptions) => {
        const definition = (await (await queue()).task!(taskId)) as object;
        if (options.json) return printJson(definition);
        process.stdout.write(YAML.stringify(definition));
      }),
    );

  registerTaskRun(task);
  registerTaskWatch(task);

  task
    .command('cancel <taskId>')
    .description('cancel a task that has not resolved (its running run stops)')
    .option('--yes', 'do not ask (needed when not on a terminal)')
    .option('--json', 'print JSON')
    .action(
      action(async (taskId: string, options: OutputOptions & { yes?: boolean }) => {
        await confirmDestructive(`Cancel the task ${taskId}?`, options.yes);
        const { status } = (await (await queue()).cancelTask!(taskId)) as { status: Status };
        printStatus(status, options);
      }),
    );

  task
    .command('rerun <taskId>')
    .description('run a resolved task again')
    .option('--json', 'print JSON')
    .action(
      action(async (taskId: string, options: OutputOptions) => {
        const { status } = (await (await queue()).rerunTask!(taskId)) as { status: Status };
        printStatus(status, options);
      }),
    );
}
