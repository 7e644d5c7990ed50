import type { Command } from 'commander';
import type { ServiceClient } from 'taskcluster-client';
import { serviceClient } from '../lib/clients.js';
import { confirmDestructive } from '../lib/confirm.js';
import { printFields, printJson, printTable, type OutputOptions } from '../lib/output.js';
import { action } from '../lib/run.js';
import { changedScopes, readModifyWrite, type ScopeChanges } from '../lib/update.js';
import { registerRoleRecipe } from './role-recipe.js';

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

interface UpdateOptions extends OutputOptions, ScopeChanges {
  description?: string;
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

  roles
    .command('create <roleId>')
    .description('create a role that grants the scopes given')
    .option('--description <text>', 'what the role is for', '')
    .option('--scope <scope>', 'a scope the role grants (repeatable)', collect)
    .option('--json', 'print JSON')
    .action(
      action(async (roleId: string, options: RoleOptions) => {
        const role = await (
          await auth()
        ).createRole!(roleId, {
          description: options.description ?? '',
          scopes: options.scope ?? [],
        });
        showRole(role, options);
      }),
    );

  roles
    .command('update <roleId>')
    .description('change only the fields given; the rest of the role stays as it is')
    .option('--description <text>', 'what the role is for')
    .option('--scope <scope>', 'replace every scope with these (repeatable)', collect)
    .option('--add-scope <scope>', 'grant one more scope (repeatable)', collect)
    .option('--remove-scope <scope>', 'take one scope away (repeatable)', collect)
    .option('--json', 'print JSON')
    .action(
      action(async (roleId: string, options: UpdateOptions) => {
        const client = await auth();
        const role = await readModifyWrite(
          () => client.role!(roleId),
          (current) => ({
            description: options.description ?? (current.description as string),
            scopes: changedScopes(current.scopes as string[], options),
            // Applies only if nobody changed the role since it was read (409 otherwise).
            lastModified: current.lastModified as string,
          }),
          (body) => client.updateRole!(roleId, body),
        );
        showRole(role, options);
      }),
    );

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
    .option('--yes', 'do not ask (needed when not on a terminal)')
    .action(
      action(async (roleId: string, options: { yes?: boolean }) => {
        const client = await auth();
        // Deleting is idempotent on the wire; say so when there was nothing to delete.
        await client.role!(roleId);
        await confirmDestructive(`Delete the role ${roleId}?`, options.yes);
        await client.deleteRole!(roleId);
        process.stdout.write(`deleted ${roleId}\n`);
      }),
    );

  registerRoleRecipe(roles, auth);
}
