import type { Command } from 'commander';
import type { ServiceClient } from 'taskcluster-client';
import { serviceClient } from '../lib/clients.js';
import { confirmDestructive } from '../lib/confirm.js';
import { fromNow } from '../lib/duration.js';
import { printFields, printJson, printTable, type OutputOptions } from '../lib/output.js';
import { action } from '../lib/run.js';
import { changedScopes, readModifyWrite, type ScopeChanges } from '../lib/update.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const CLIENT_FIELDS = {
  clientId: 'client',
  description: 'description',
  expires: 'expires',
  disabled: 'disabled',
  deleteOnExpiration: 'delete on expiry',
  lastDateUsed: 'last used',
  lastRotated: 'token rotated',
  scopes: 'scopes',
  expandedScopes: 'expanded scopes',
};

interface ClientOptions extends OutputOptions {
  description?: string;
  expires: string;
  scope?: string[];
  deleteOnExpiration?: boolean;
}

interface UpdateOptions extends OutputOptions, ScopeChanges {
  description?: string;
  expires?: string;
}

/** Shows a client; a fresh access token (create, reset) is printed once, with a warning. */
function showClient(client: Record<string, unknown>, options: OutputOptions): void {
  if (options.json) return printJson(client);
  printFields(client, CLIENT_FIELDS);
  if (typeof client.accessToken === 'string') {
    process.stdout.write(`access token  ${client.accessToken}\n`);
    process.stderr.write(
      'bulwark: this access token is shown only once; store it somewhere safe\n',
    );
  }
}

export function registerClients(program: Command): void {
  const clients = program.command('clients').description('manage clients (credentials)');
  const withClient = async (): Promise<ServiceClient> => (await serviceClient('Auth')).client;

  clients
    .command('create <clientId>')
    .description('create a client; prints its access token once')
    .option('--description <text>', 'what the client is for', '')
    .option('--expires <duration>', 'lifetime, e.g. "1 year"', '1 year')
    .option('--scope <scope>', 'a scope to grant (repeatable)', collect)
    .option('--delete-on-expiration', 'delete the client when it expires')
    .option('--json', 'print JSON')
    .action(
      action(async (clientId: string, options: ClientOptions) => {
        const created = await (
          await withClient()
        ).createClient!(clientId, {
          description: options.description ?? '',
          expires: fromNow(options.expires, '--expires'),
          scopes: options.scope ?? [],
          deleteOnExpiration: options.deleteOnExpiration ?? false,
        });
        showClient(created, options);
      }),
    );

  clients
    .command('list')
    .description('list clients')
    .option('--prefix <prefix>', 'only clients whose id starts with this')
    .option('--json', 'print JSON')
    .action(
      action(async (options: OutputOptions & { prefix?: string }) => {
        const client = await withClient();
        const all: Record<string, unknown>[] = [];
        let continuationToken: string | undefined;
        do {
          const page = await client.listClients!({
            ...(options.prefix ? { prefix: options.prefix } : {}),
            ...(continuationToken ? { continuationToken } : {}),
          });
          all.push(...(page.clients as Record<string, unknown>[]));
          continuationToken = page.continuationToken as string | undefined;
        } while (continuationToken);
        if (options.json) return printJson(all);
        printTable(all, {
          clientId: 'CLIENT',
          expires: 'EXPIRES',
          disabled: 'DISABLED',
          description: 'DESCRIPTION',
        });
      }),
    );

  clients
    .command('show <clientId>')
    .description('show a client and its expanded scopes')
    .option('--json', 'print JSON')
    .action(
      action(async (clientId: string, options: OutputOptions) => {
        showClient(await (await withClient()).client!(clientId), options);
      }),
    );

  clients
    .command('update <clientId>')
    .description('change only the fields given; the rest of the client stays as it is')
    .option('--description <text>', 'what the client is for')
    .option('--expires <duration>', 'a new lifetime from now, e.g. "1 year"')
    .option('--scope <scope>', 'replace every scope with these (repeatable)', collect)
    .option('--add-scope <scope>', 'grant one more scope (repeatable)', collect)
    .option('--remove-scope <scope>', 'take one scope away (repeatable)', collect)
    .option('--json', 'print JSON')
    .action(
      action(async (clientId: string, options: UpdateOptions) => {
        const auth = await withClient();
        const updated = await readModifyWrite(
          () => auth.client!(clientId),
          (current) => ({
            description: options.description ?? (current.description as string),
            expires:
              options.expires !== undefined
                ? fromNow(options.expires, '--expires').toJSON()
                : (current.expires as string),
            scopes: changedScopes(current.scopes as string[], options),
            deleteOnExpiration: current.deleteOnExpiration as boolean,
            // Applies only if nobody changed the client since it was read (409 otherwise).
            lastModified: current.lastModified as string,
          }),
          (body) => auth.updateClient!(clientId, body),
        );
        showClient(updated, options);
      }),
    );

  clients
    .command('reset <clientId>')
    .description('replace a client’s access token; prints the new one once')
    .option('--yes', 'do not ask (needed when not on a terminal)')
    .option('--json', 'print JSON')
    .action(
      action(async (clientId: string, options: OutputOptions & { yes?: boolean }) => {
        const auth = await withClient();
        await auth.client!(clientId);
        await confirmDestructive(
          `Replace the access token of ${clientId}? Whatever uses the current one stops working.`,
          options.yes,
        );
        showClient(await auth.resetAccessToken!(clientId), options);
      }),
    );

  for (const [name, method, what] of [
    ['disable', 'disableClient', 'disable a client (its temporary credentials stop working too)'],
    ['enable', 'enableClient', 'enable a disabled client'],
  ] as const) {
    clients
      .command(`${name} <clientId>`)
      .description(what)
      .option('--json', 'print JSON')
      .action(
        action(async (clientId: string, options: OutputOptions) => {
          showClient(await (await withClient())[method]!(clientId), options);
        }),
      );
  }

  clients
    .command('delete <clientId>')
    .description('delete a client')
    .option('--yes', 'do not ask (needed when not on a terminal)')
    .action(
      action(async (clientId: string, options: { yes?: boolean }) => {
        const auth = await withClient();
        // Deleting is idempotent on the wire; say so when there was nothing to delete.
        await auth.client!(clientId);
        await confirmDestructive(`Delete the client ${clientId}?`, options.yes);
        await auth.deleteClient!(clientId);
        process.stdout.write(`deleted ${clientId}\n`);
      }),
    );
}
