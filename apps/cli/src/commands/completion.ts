import type { Command } from 'commander';
import { completionScript, SHELLS, type Shell } from '../lib/completion.js';
import { UsageError } from '../lib/credentials.js';
import { action } from '../lib/run.js';

export function registerCompletion(program: Command): void {
  program
    .command('completion <shell>')
    .description(`print a shell completion script (${SHELLS.join(', ')})`)
    .action(
      action(async (shell: string) => {
        if (!(SHELLS as readonly string[]).includes(shell)) {
          throw new UsageError(`no completion for ${shell}: choose one of ${SHELLS.join(', ')}`);
        }
        // The tree as the user runs it: from the root command, not this one.
        let root = program;
        while (root.parent) root = root.parent;
        process.stdout.write(completionScript(root, shell as Shell));
        return Promise.resolve();
      }),
    );
}
