import type { Command } from 'commander';
import type { ServiceClient } from 'taskcluster-client';
import { serviceClient } from '../lib/clients.js';
import { confirmDestructive } from '../lib/confirm.js';
import { fromNow } from '../lib/duration.js';
import { parseJsonObject, readInput } from '../lib/input.js';
import { printJson, type OutputOptions } from '../lib/output.js';
import { action } from '../lib/run.js';

interface SetOptions {
  file?: string;
  expires: string;
}

/**
 * `bulwark secrets`: values travel only through stdin, files and stdout, never argv,
 * and nothing but `get` prints a value.
 */
export function registerSecrets(program: Command): void {
  const secrets = program.command('secrets').description('store and read secrets');
  const client = async (): Promise<ServiceClient> => (await serviceClient('Secrets')).client;

  secrets
    .command('set <name>')
    .description('set a secret to the JSON object read from stdin or --file')
    .option('--file <path>', 'read the value from this file instead of stdin')
    .option('--expires <duration>', 'how long the secret lives', '1 year')
    .action(
      action(async (name: string, options: SetOptions) => {
        const expires = fromNow(options.expires, '--expires');
        const secret = parseJsonObject(await readInput(options.file, 'the value'), 'the value');
        await (
          await client()
        ).set!(name, { secret, expires: expires.toJSON() });
        process.stdout.write(`set ${name} (expires ${expires.toISOString()})\n`);
      }),
    );

  secrets
    .command('get <name>')
    .description('print a secret’s value (with --json, also its expiry)')
    .option('--json', 'print the whole record: {secret, expires}')
    .action(
      action(async (name: string, options: OutputOptions) => {
        const record = await (await client()).get!(name);
        printJson(options.json ? record : record.secret);
      }),
    );

  secrets
    .command('list')
    .description('list the names of secrets')
    .option('--json', 'print JSON')
    .action(
      action(async (options: OutputOptions) => {
        const secretsClient = await client();
        const names: string[] = [];
        let continuationToken: string | undefined;
        do {
          const page = await secretsClient.list!(continuationToken ? { continuationToken } : {});
          names.push(...(page.secrets as string[]));
          continuationToken = page.continuationToken as string | undefined;
        } while (continuationToken);
        if (options.json) return printJson(names);
        for (const name of names) process.stdout.write(`${name}\n`);
      }),
    );

  secrets
    .command('rm <name>')
    .alias('remove')
    .description('remove a secret')
    .option('--yes', 'do not ask (needed when not on a terminal)')
    .action(
      action(async (name: string, options: { yes?: boolean }) => {
        await confirmDestructive(`Remove the secret ${name}?`, options.yes);
        await (
          await client()
        ).remove!(name);
        process.stdout.write(`removed ${name}\n`);
      }),
    );
}
