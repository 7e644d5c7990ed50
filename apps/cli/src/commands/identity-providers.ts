import type { Command } from 'commander';
import taskcluster, { type ServiceClient } from 'taskcluster-client';
import { noCredentialsHint } from '../lib/clients.js';
import { confirmDestructive } from '../lib/confirm.js';
import { loadConfig, UsageError } from '../lib/credentials.js';
import { fromNow } from '../lib/duration.js';
import { readInput } from '../lib/input.js';
import { printFields, printJson, printTable, type OutputOptions } from '../lib/output.js';
import { action } from '../lib/run.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const PROVIDER_FIELDS = {
  name: 'name',
  displayName: 'display name',
  description: 'description',
  issuer: 'issuer',
  clientId: 'client id',
  userClaim: 'user claim',
  groupsClaim: 'groups claim',
  audiences: 'audiences',
  scopes: 'scopes',
  maxSessionSeconds: 'max session (s)',
  redirectUris: 'redirect URIs',
  lastModified: 'modified',
};

interface ProviderOptions extends OutputOptions {
  issuer?: string;
  clientId?: string;
  secretFile?: string;
  displayName?: string;
  description?: string;
  userClaim?: string;
  groupsClaim?: string;
  audience?: string[];
  scope?: string[];
  redirectUri?: string[];
  maxSession?: string;
}

/**
 * The auth service's client built from the reference it serves: identity providers and
 * sign-ins are Bulwark's own endpoints, which taskcluster-client's built-in Auth lacks.
 */
async function authClient(): Promise<ServiceClient> {
  const config = await loadConfig();
  if (!config.credentials) throw new UsageError(noCredentialsHint(config));
  const reference: unknown = await (
    await fetch(`${config.rootUrl}/api/auth/v1/reference`, { signal: AbortSignal.timeout(30_000) })
  ).json();
  const Auth = taskcluster.createClient(reference);
  return new Auth({ rootUrl: config.rootUrl, credentials: config.credentials, retries: 2 });
}

function maxSessionSeconds(duration: string): number {
  const now = Date.now();
  return Math.round((fromNow(duration, '--max-session').getTime() - now) / 1000);
}

/** The API's body from the options, over what is configured already (update). */
function providerBody(
  options: ProviderOptions,
  current: Record<string, unknown> = {},
): Record<string, unknown> {
  const pick = <T>(given: T | undefined, field: string): T | undefined =>
    given ?? (current[field] as T | undefined);
  const body: Record<string, unknown> = {
    description: pick(options.description, 'description') ?? '',
    issuer: pick(options.issuer, 'issuer'),
    clientId: pick(options.clientId, 'clientId'),
  };
  const optional: [string, unknown][] = [
    ['displayName', pick(options.displayName, 'displayName')],
    ['userClaim', pick(options.userClaim, 'userClaim')],
    ['groupsClaim', pick(options.groupsClaim, 'groupsClaim')],
    ['audiences', pick(options.audience, 'audiences')],
    ['scopes', pick(options.scope, 'scopes')],
    ['redirectUris', pick(options.redirectUri, 'redirectUris')],
    [
      'maxSessionSeconds',
      options.maxSession !== undefined
        ? maxSessionSeconds(options.maxSession)
        : current.maxSessionSeconds,
    ],
  ];
  for (const [field, value] of optional) if (value !== undefined) body[field] = value;
  if (body.issuer === undefined) throw new UsageError('--issuer is required');
  if (body.clientId === undefined) throw new UsageError('--client-id is required');
  return body;
}

/** The client secret from a file or stdin, never from arguments (S1). */
async function readSecret(file: string | undefined): Promise<string> {
  const secret = (await readInput(file, 'the client secret')).replace(/\r?\n$/, '');
  if (!secret) throw new UsageError('the client secret is empty');
  return secret;
}

function withProviderOptions(command: Command): Command {
  return command
    .option('--issuer <url>', "the provider's issuer, exactly as its discovery document says")
    .option('--client-id <id>', "Bulwark's client id at the provider")
    .option('--secret-file <file>', 'read the client secret from this file (default: stdin)')
    .option('--display-name <text>', 'what a sign-in button says')
    .option('--description <text>', 'what the provider is')
    .option('--user-claim <claim>', 'the claim that names the person (default sub)')
    .option('--groups-claim <claim>', "the claim listing the person's groups")
    .option('--audience <aud>', 'another audience an ID token may name (repeatable)', collect)
    .option('--scope <scope>', 'a scope to ask the provider for (repeatable)', collect)
    .option('--redirect-uri <url>', "a UI's sign-in callback (repeatable)", collect)
    .option('--max-session <duration>', 'the longest a sign-in lasts (default 12 hours)')
    .option('--json', 'print JSON');
}

/** `bulwark idp ...` (identity providers) and `bulwark logins revoke`. */
export function registerIdentityProviders(program: Command): void {
  const idp = program
    .command('idp')
    .description('manage the identity providers people sign in with (OpenID Connect)');

  withProviderOptions(
    idp.command('create <name>').description('configure a provider; the secret comes from stdin'),
  ).action(
    action(async (name: string, options: ProviderOptions) => {
      const body = providerBody(options);
      body.clientSecret = await readSecret(options.secretFile);
      const created = await (await authClient()).createIdentityProvider!(name, body);
      if (options.json) return printJson(created);
      printFields(created, PROVIDER_FIELDS);
    }),
  );

  withProviderOptions(
    idp
      .command('update <name>')
      .description('change only the settings given; the secret only with --secret-file'),
  ).action(
    action(async (name: string, options: ProviderOptions) => {
      const client = await authClient();
      const body = providerBody(options, await client.identityProvider!(name));
      if (options.secretFile !== undefined)
        body.clientSecret = await readSecret(options.secretFile);
      const updated = await client.updateIdentityProvider!(name, body);
      if (options.json) return printJson(updated);
      printFields(updated, PROVIDER_FIELDS);
    }),
  );

  idp
    .command('list')
    .description('the providers people can sign in with')
    .option('--json', 'print JSON')
    .action(
      action(async (options: OutputOptions) => {
        const { providers } = (await (
          await authClient()
        ).listIdentityProviders!()) as {
          providers: Record<string, unknown>[];
        };
        if (options.json) return printJson(providers);
        printTable(providers, { name: 'NAME', displayName: 'DISPLAY NAME' });
      }),
    );

  idp
    .command('show <name>')
    .description("a provider's settings (never its secret)")
    .option('--json', 'print JSON')
    .action(
      action(async (name: string, options: OutputOptions) => {
        const provider = await (await authClient()).identityProvider!(name);
        if (options.json) return printJson(provider);
        printFields(provider, PROVIDER_FIELDS);
      }),
    );

  idp
    .command('delete <name>')
    .description('remove a provider, ending every sign-in it gave')
    .option('--yes', 'do not ask (needed when not on a terminal)')
    .action(
      action(async (name: string, options: { yes?: boolean }) => {
        const client = await authClient();
        await client.identityProvider!(name);
        await confirmDestructive(`Delete the identity provider ${name}?`, options.yes);
        await client.deleteIdentityProvider!(name);
        process.stdout.write(`deleted ${name}\n`);
      }),
    );

  program
    .command('logins')
    .description("people's sign-ins")
    .command('revoke <provider> <subject>')
    .description('end every current sign-in of login:<provider>/<subject> at once')
    .option('--yes', 'do not ask (needed when not on a terminal)')
    .action(
      action(async (provider: string, subject: string, options: { yes?: boolean }) => {
        await confirmDestructive(`End every sign-in of login:${provider}/${subject}?`, options.yes);
        const { revoked } = (await (
          await authClient()
        ).revokeLogins!(provider, subject)) as {
          revoked: number;
        };
        process.stdout.write(`ended ${revoked} sign-in(s) of login:${provider}/${subject}\n`);
      }),
    );
}
