import type { Command } from 'commander';
import type { ServiceClient } from 'taskcluster-client';
import { serviceClient } from '../lib/clients.js';
import { printFields, printJson, printTable, type OutputOptions } from '../lib/output.js';
import { action } from '../lib/run.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const ROLE_FIELDS = {
  roleId: 'role',
  description: 'description',
  lastModified: 'modified',
  scopes: 'scopes',
  expandedScopes: 'expanded scopes',
};

interface RoleOptions extends OutputOptions {
  description?: string;
  scope?: string[];
}

function showRole(role: Record<string, unknown>, options: OutputOptions): void {
  if (options.json) printJson(role);
  else printFields(role, ROLE_FIELDS);
}

export function registerRoles(program: Command): void {
  const roles = program
    .command('roles')
    .description('manage roles (scopes granted through assume:)');
  const auth = async (): Promise<ServiceClient> => (await serviceClient('Auth')).client;

  for (const [name, method] of [
    ['create', 'createRole'],
    ['update', 'updateRole'],
  ] as const) {
    roles
      .command(`${name} <roleId>`)
      .description(`${name} a role; --scope replaces its scopes`)
      .option('--description <text>', 'what the role is for', '')
      .option('--scope <scope>', 'a scope the role grants (repeatable)', collect)
      .option('--json', 'print JSON')
      .action(
        action(async (roleId: string, options: RoleOptions) => {
          const role = await (
            await auth()
          )[method]!(roleId, {
            description: options.description ?? '',
            scopes: options.scope ?? [],
          });
          showRole(role, options);
        }),
      );
  }

  roles
    .command('list')
    .description('list roles')
    .option('--json', 'print JSON')
    .action(
      action(async (options: OutputOptions) => {
        const client = await auth();
        const all: Record<string, unknown>[] = [];
        let continuationToken: string | undefined;
        do {
          const page = await client.listRoles2!(continuationToken ? { continuationToken } : {});
          all.push(...(page.roles as Record<string, unknown>[]));
          continuationToken = page.continuationToken as string | undefined;
        } while (continuationToken);
        if (options.json) return printJson(all);
        printTable(all, { roleId: 'ROLE', scopes: 'SCOPES', description: 'DESCRIPTION' });
      }),
    );

  roles
    .command('show <roleId>')
    .description('show a role and what it expands to')
    .option('--json', 'print JSON')
    .action(
      action(async (roleId: string, options: OutputOptions) => {
        showRole(await (await auth()).role!(roleId), options);
      }),
    );

  roles
    .command('delete <roleId>')
    .description('delete a role')
    .action(
      action(async (roleId: string) => {
        await (
          await auth()
        ).deleteRole!(roleId);
        process.stdout.write(`deleted ${roleId}\n`);
      }),
    );
}
