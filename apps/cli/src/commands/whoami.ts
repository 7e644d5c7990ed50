import type { Command } from 'commander';
import { serviceClient } from '../lib/clients.js';
import { printJson, type OutputOptions } from '../lib/output.js';
import { action } from '../lib/run.js';

export function registerWhoami(program: Command): void {
  program
    .command('whoami')
    .description('show the client id in use and its expanded scopes')
    .option('--json', 'print JSON')
    .action(
      action(async (options: OutputOptions) => {
        const { client, rootUrl, clientId } = await serviceClient('Auth');
        const { scopes } = (await client.currentScopes!()) as { scopes: string[] };
        if (options.json) return printJson({ rootUrl, clientId, scopes });
        process.stdout.write(`${clientId ?? 'anonymous'} at ${rootUrl}\nscopes:\n`);
        for (const scope of scopes) process.stdout.write(`  ${scope}\n`);
      }),
    );
}
