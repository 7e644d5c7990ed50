import type { Command } from 'commander';
import taskcluster from 'taskcluster-client';
import { noCredentialsHint } from '../lib/clients.js';
import { loadConfig, removeSignin, UsageError, writeSignin } from '../lib/credentials.js';
import { fromNow } from '../lib/duration.js';
import { printJson, type OutputOptions } from '../lib/output.js';
import { action } from '../lib/run.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * `bulwark signin`, `signout` and `status`: temporary credentials minted from a
 * permanent client and kept per profile (one per deployment, as `gh` keeps one per
 * host), 0600, never printed.
 */
export function registerSignin(program: Command): void {
  program
    .command('signin')
    .description(
      'mint temporary credentials from your client and keep them (0600) for later commands',
    )
    .option('--scope <scope>', 'a scope to include (repeatable; default: all of yours)', collect)
    .option('--expires <duration>', 'lifetime, at most 31 days', '1 day')
    .action(
      action(async (options: { scope?: string[]; expires: string }) => {
        const config = await loadConfig();
        const issuer = config.credentials;
        if (!issuer || config.source !== 'environment') {
          throw new UsageError(
            `signin needs a permanent client: ${noCredentialsHint(config).replace(/^no credentials for \S+: /, '')}`,
          );
        }
        if (issuer.certificate)
          throw new UsageError('temporary credentials cannot issue temporary credentials');
        const auth = new taskcluster.Auth({
          rootUrl: config.rootUrl,
          credentials: issuer,
          retries: 2,
        });
        const scopes =
          options.scope ?? ((await auth.currentScopes!()) as { scopes: string[] }).scopes;
        const expiry = fromNow(options.expires, '--expires');
        const credentials = taskcluster.createTemporaryCredentials({
          start: new Date(Date.now() - 60_000),
          expiry,
          scopes,
          credentials: issuer,
        });
        // Prove they work before keeping them.
        await new taskcluster.Auth({ rootUrl: config.rootUrl, credentials, retries: 2 })
          .currentScopes!();
        const path = await writeSignin({
          rootUrl: config.rootUrl,
          credentials,
          expires: expiry.toISOString(),
        });
        process.stdout.write(
          `signed in to ${config.rootUrl} as ${credentials.clientId} (profile ${config.profile}) ` +
            `until ${expiry.toISOString()}; credentials kept in ${path}\n`,
        );
      }),
    );

  program
    .command('signout')
    .description('forget the credentials `bulwark signin` kept for this profile')
    .action(
      action(async () => {
        const { profile } = await loadConfig().catch(() => ({ profile: undefined }));
        if (!(await removeSignin())) {
          process.stdout.write(`not signed in (profile ${profile ?? 'default'})\n`);
          return;
        }
        process.stdout.write(`signed out (profile ${profile ?? 'default'})\n`);
      }),
    );

  program
    .command('status')
    .description('which deployment and credentials commands use, and until when')
    .option('--json', 'print JSON')
    .action(
      action(async (options: OutputOptions) => {
        const config = await loadConfig();
        const status = {
          rootUrl: config.rootUrl,
          profile: config.profile,
          source: config.source,
          clientId: config.credentials?.clientId ?? null,
          temporary: config.credentials?.certificate !== undefined,
          expires: config.expires ?? null,
        };
        if (options.json) return printJson(status);
        const from =
          config.source === 'environment'
            ? 'the environment (TASKCLUSTER_CLIENT_ID)'
            : config.source === 'profile'
              ? `profile ${config.profile}, until ${config.expires}`
              : 'none';
        process.stdout.write(
          `deployment   ${config.rootUrl}\nclient       ${status.clientId ?? '(anonymous)'}` +
            `\ncredentials  ${from}\n`,
        );
        if (!config.credentials) process.stdout.write(`\n${noCredentialsHint(config)}\n`);
      }),
    );
}
