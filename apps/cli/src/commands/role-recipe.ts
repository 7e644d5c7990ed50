import type { Command } from 'commander';
import type { ServiceClient } from 'taskcluster-client';
import { UsageError } from '../lib/credentials.js';
import { printJson, type OutputOptions } from '../lib/output.js';
import { action } from '../lib/run.js';

interface RecipeOptions extends OutputOptions {
  pool: string;
  project: string;
  scheduler: string;
  prefix?: string;
  role?: string;
  apply?: boolean;
}

interface Recipe {
  description: (o: RecipeOptions) => string;
  scopes: (o: RecipeOptions) => string[];
}

/** A piece of a scope: the same character set the scope grammar allows, no wildcard. */
function part(value: string, what: string): string {
  if (!/^[\x20-\x7e]+$/.test(value) || value.includes('*')) {
    throw new UsageError(`${what} must be printable ASCII without '*'`);
  }
  return value;
}

/**
 * The least scopes for what people most often want a CI client to do, so nobody
 * reaches for `*`. Each follows the endpoints' own scope declarations.
 */
export const RECIPES: Readonly<Record<string, Recipe>> = {
  'run-tasks': {
    description: (o) => `run tasks in ${o.pool} and follow them (\`bulwark task run\`)`,
    scopes: (o) => {
      const pool = part(o.pool, '--pool');
      const scheduler = part(o.scheduler, '--scheduler');
      return [
        'auth:current-scopes',
        // Any priority: holding the highest satisfies every lower one.
        `queue:create-task:highest:${pool}`,
        `queue:create-task:project:${part(o.project, '--project')}`,
        `queue:scheduler-id:${scheduler}`,
        'queue:get-task:*',
        'queue:status:*',
        'queue:list-artifacts:*',
        'queue:get-artifact:public/*',
        `queue:cancel-task:${scheduler}/*`,
        `queue:rerun-task:${scheduler}/*`,
      ];
    },
  },
  'read-secrets': {
    description: (o) => `read the secrets named ${o.prefix ?? '<prefix>'}*`,
    scopes: (o) => {
      if (!o.prefix) throw new UsageError('read-secrets needs --prefix, e.g. --prefix web/');
      return [
        'auth:current-scopes',
        'secrets:list-secrets',
        `secrets:get:${part(o.prefix, '--prefix')}*`,
      ];
    },
  },
  admin: {
    description: () => 'administer clients, roles, tasks and secrets',
    scopes: () => ['auth:*', 'queue:*', 'secrets:*'],
  },
};

/** `bulwark roles recipe NAME`: prints the scopes and the commands to paste, or applies them. */
export function registerRoleRecipe(roles: Command, auth: () => Promise<ServiceClient>): void {
  roles
    .command('recipe <name>')
    .description(`the least scopes for a common need: ${Object.keys(RECIPES).join(', ')}`)
    .option('--pool <taskQueueId>', 'run-tasks: the pool', 'local/default')
    .option('--project <projectId>', "run-tasks: the tasks' project", 'none')
    .option('--scheduler <schedulerId>', "run-tasks: the tasks' scheduler", '-')
    .option('--prefix <prefix>', "read-secrets: the secret names' prefix, e.g. web/")
    .option('--role <roleId>', 'the role to print commands for (or create with --apply)')
    .option('--apply', 'create the role now (needs --role)')
    .option('--json', 'print JSON')
    .action(
      action(async (name: string, options: RecipeOptions) => {
        const recipe = RECIPES[name];
        if (!recipe) {
          throw new UsageError(
            `no recipe ${name}: choose one of ${Object.keys(RECIPES).join(', ')}`,
          );
        }
        const scopes = recipe.scopes(options);
        const description = recipe.description(options);
        if (options.apply) {
          if (!options.role) throw new UsageError('--apply needs --role');
          await (
            await auth()
          ).createRole!(options.role, { description, scopes });
        }
        if (options.json)
          return printJson({ recipe: name, description, scopes, role: options.role ?? null });
        const role = options.role ?? '<roleId>';
        const quoted = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
        process.stdout.write(`# ${description}\n`);
        if (options.apply) process.stdout.write(`# created role ${role}\n`);
        else {
          process.stdout.write(
            `bulwark roles create ${quoted(role)} --description ${quoted(description)} \\\n` +
              scopes.map((s) => `  --scope ${quoted(s)}`).join(' \\\n') +
              '\n',
          );
        }
        process.stdout.write(
          `# then give it to a client:\nbulwark clients update <clientId> --add-scope ${quoted(`assume:${role}`)}\n`,
        );
      }),
    );
}
