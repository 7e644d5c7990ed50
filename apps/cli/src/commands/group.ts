import type { Command } from 'commander';
import { serviceClient } from '../lib/clients.js';
import { printJson, printTable, type OutputOptions } from '../lib/output.js';
import { action } from '../lib/run.js';

interface GroupMember {
  status: { taskId: string; state: string; runs: unknown[] };
  task: { metadata: { name: string } };
}

export function registerGroup(program: Command): void {
  const group = program.command('group').description('task groups');

  group
    .command('list <taskGroupId>')
    .description('list the tasks of a group with their states')
    .option('--json', 'print JSON')
    .action(
      action(async (taskGroupId: string, options: OutputOptions) => {
        const { client } = await serviceClient('Queue');
        const members: GroupMember[] = [];
        let continuationToken: string | undefined;
        do {
          const page = await client.listTaskGroup!(
            taskGroupId,
            continuationToken ? { continuationToken } : {},
          );
          members.push(...(page.tasks as GroupMember[]));
          continuationToken = page.continuationToken as string | undefined;
        } while (continuationToken);
        if (options.json) return printJson(members);
        printTable(
          members.map((m) => ({
            taskId: m.status.taskId,
            state: m.status.state,
            runs: m.status.runs.length,
            name: m.task.metadata.name,
          })),
          { taskId: 'TASK', state: 'STATE', runs: 'RUNS', name: 'NAME' },
        );
      }),
    );
}
