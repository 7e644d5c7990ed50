import type { Command } from 'commander';
import taskcluster from 'taskcluster-client';
import { loadConfig, UsageError, writeSignin } from '../lib/credentials.js';
import { fromNow } from '../lib/duration.js';
import { action } from '../lib/run.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

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
        if (!issuer || !process.env.TASKCLUSTER_CLIENT_ID) {
          throw new UsageError(
            'signin needs a permanent client in TASKCLUSTER_CLIENT_ID and TASKCLUSTER_ACCESS_TOKEN',
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
          `signed in as ${credentials.clientId} until ${expiry.toISOString()}; credentials in ${path}\n`,
        );
      }),
    );
}
