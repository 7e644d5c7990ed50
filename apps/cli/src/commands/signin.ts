import type { Command } from 'commander';
import taskcluster from 'taskcluster-client';
import { noCredentialsHint } from '../lib/clients.js';
import {
  loadConfig,
  readSigninFile,
  profileName,
  removeSignin,
  UsageError,
  writeSignin,
} from '../lib/credentials.js';
import { fromNow } from '../lib/duration.js';
import { chooseProvider, deviceSignIn, endSignIn, webSignIn } from '../lib/identity-signin.js';
import { printJson, type OutputOptions } from '../lib/output.js';
import { action, EXIT } from '../lib/run.js';

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
      'sign in through your organization (--web, --device), or mint temporary credentials ' +
        'from your client; either way they are kept (0600) for later commands',
    )
    .option('--web', 'sign in through the identity provider in a browser')
    .option('--device', 'sign in through the identity provider with a code, from any device')
    .option('--provider <name>', 'the identity provider (needed when several are configured)')
    .option('--no-browser', 'with --web: print the address instead of opening a browser')
    .option('--scope <scope>', 'a scope to include (repeatable; default: all of yours)', collect)
    .option('--expires <duration>', 'lifetime, at most 31 days', '1 day')
    .action(
      action(
        async (options: {
          web?: boolean;
          device?: boolean;
          provider?: string;
          browser: boolean;
          scope?: string[];
          expires: string;
        }) => {
          if (options.web || options.device) return signInThroughProvider(options);
          return signInWithClient(options);
        },
      ),
    );

  program
    .command('signout')
    .description(
      'forget the credentials `bulwark signin` kept for this profile; a sign-in through an ' +
        'identity provider is also ended at the deployment',
    )
    .action(
      action(async () => {
        const { profile } = await loadConfig().catch(() => ({ profile: undefined }));
        // Forgotten here even when the deployment cannot be told: say so, and fail.
        const notEnded = await endProfileSignIn().then(
          () => undefined,
          (err: unknown) => (err instanceof Error ? err.message : String(err)),
        );
        if (!(await removeSignin())) {
          process.stdout.write(`not signed in (profile ${profile ?? 'default'})\n`);
          return;
        }
        process.stdout.write(`signed out (profile ${profile ?? 'default'})\n`);
        if (notEnded !== undefined) {
          process.stderr.write(
            `bulwark: the deployment could not end the sign-in (${notEnded}); its ` +
              'credentials stay valid until they expire unless an administrator runs ' +
              '`bulwark logins revoke`\n',
          );
          process.exitCode = EXIT.failure;
        }
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

/** `bulwark signin` from a permanent client in the environment. */
async function signInWithClient(options: { scope?: string[]; expires: string }): Promise<void> {
  const config = await loadConfig();
  const issuer = config.credentials;
  if (!issuer || config.source !== 'environment') {
    throw new UsageError(
      `signin needs a permanent client: ${noCredentialsHint(config).replace(/^no credentials for \S+: /, '')}` +
        ', or sign in through your organization with --web or --device',
    );
  }
  if (issuer.certificate)
    throw new UsageError('temporary credentials cannot issue temporary credentials');
  const auth = new taskcluster.Auth({
    rootUrl: config.rootUrl,
    credentials: issuer,
    retries: 2,
  });
  const scopes = options.scope ?? ((await auth.currentScopes!()) as { scopes: string[] }).scopes;
  const expiry = fromNow(options.expires, '--expires');
  const credentials = taskcluster.createTemporaryCredentials({
    start: new Date(Date.now() - 60_000),
    expiry,
    scopes,
    credentials: issuer,
  });
  // Prove they work before keeping them.
  await new taskcluster.Auth({ rootUrl: config.rootUrl, credentials, retries: 2 }).currentScopes!();
  const path = await writeSignin({
    rootUrl: config.rootUrl,
    credentials,
    expires: expiry.toISOString(),
  });
  process.stdout.write(
    `signed in to ${config.rootUrl} as ${credentials.clientId} (profile ${config.profile}) ` +
      `until ${expiry.toISOString()}; credentials kept in ${path}\n`,
  );
}

/** `bulwark signin --web` or `--device`: OpenID Connect through the deployment. */
async function signInThroughProvider(options: {
  web?: boolean;
  device?: boolean;
  provider?: string;
  browser: boolean;
  scope?: string[];
}): Promise<void> {
  if (options.web && options.device) throw new UsageError('choose one of --web and --device');
  if (options.scope) {
    throw new UsageError('--scope does not apply to --web or --device: roles decide the scopes');
  }
  const config = await loadConfig();
  const provider = await chooseProvider(config.rootUrl, options.provider);
  const signedIn = options.device
    ? await deviceSignIn(config.rootUrl, provider)
    : await webSignIn(config.rootUrl, provider, {
        browser: options.browser,
        timeoutMs: 10 * 60_000,
      });
  const path = await writeSignin({
    rootUrl: config.rootUrl,
    credentials: signedIn.credentials,
    expires: signedIn.expires,
  });
  process.stdout.write(
    `signed in to ${config.rootUrl} as ${signedIn.identity} (profile ${config.profile}) ` +
      `until ${signedIn.expires}, with the roles ${signedIn.roles.join(', ')}; ` +
      `credentials kept in ${path}\n`,
  );
}

/**
 * Ends the profile's sign-in at the deployment when it came from an identity provider,
 * so the credentials stop working everywhere, not only here. Expired or already ended
 * credentials need nothing more.
 */
async function endProfileSignIn(): Promise<void> {
  const stored = (await readSigninFile()).profiles[profileName()];
  if (!stored?.credentials.clientId.startsWith('login:')) return;
  if (new Date(stored.expires) <= new Date()) return;
  try {
    await endSignIn(stored.rootUrl.replace(/\/+$/, ''), stored.credentials);
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== 401) throw err;
  }
}
