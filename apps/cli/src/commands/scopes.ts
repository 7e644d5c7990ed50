import type { Command } from 'commander';
import { satisfiesExpression } from '@bulwark/scopes';
import { serviceClient } from '../lib/clients.js';
import { EXIT, action } from '../lib/run.js';
import { printJson, type OutputOptions } from '../lib/output.js';

export function registerScopes(program: Command): void {
  const scopes = program.command('scopes').description('expand and check scopes');
  scopes
    .command('expand <scope...>')
    .description('expand scopes through the roles (assume:...)')
    .option('--json', 'print JSON')
    .action(
      action(async (input: string[], options: OutputOptions) => {
        const { client } = await serviceClient('Auth');
        const { scopes: expanded } = (await client.expandScopes!({ scopes: input })) as {
          scopes: string[];
        };
        if (options.json) return printJson({ scopes: expanded });
        for (const scope of expanded) process.stdout.write(`${scope}\n`);
      }),
    );
  scopes
    .command('check <required...>')
    .description('check that your current credentials satisfy every required scope (exit 4 if not)')
    .option('--json', 'print JSON')
    .action(
      action(async (required: string[], options: OutputOptions) => {
        const { client } = await serviceClient('Auth');
        const { scopes: held } = (await client.currentScopes!()) as { scopes: string[] };
        const missing = required.filter((s) => !satisfiesExpression(held, s));
        if (options.json) printJson({ satisfied: missing.length === 0, missing });
        else if (missing.length === 0) process.stdout.write('satisfied\n');
        else process.stdout.write(`missing:\n${missing.map((s) => `  ${s}\n`).join('')}`);
        if (missing.length > 0) process.exitCode = EXIT.scopes;
      }),
    );
}
