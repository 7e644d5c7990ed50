import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import {
  startTestIdentityProvider,
  TestBrowser,
  type TestIdentityProvider,
} from '@bulwark/server/testing-oidc';
import { CliHarness, type CliResult } from './harness.js';

let h: CliHarness;
let idp: TestIdentityProvider;
let AuthClass: new (options: unknown) => Record<string, (...args: unknown[]) => Promise<any>>;

before(async () => {
  h = await CliHarness.start();
  idp = await startTestIdentityProvider();
  const rootUrl = h.platform.rootUrl;
  AuthClass = taskcluster.createClient(
    await (await fetch(`${rootUrl}/api/auth/v1/reference`)).json(),
  ) as unknown as typeof AuthClass;
  const root = new AuthClass({ rootUrl, credentials: h.root, retries: 0 });
  // Configured as an operator does, the secret on stdin (never in arguments).
  const created = await h.run(
    [
      'idp',
      'create',
      'corp',
      '--issuer',
      idp.issuer,
      '--client-id',
      idp.clientId,
      '--groups-claim',
      'groups',
      '--scope',
      'groups',
      '--display-name',
      'Corp SSO',
      '--max-session',
      '8 hours',
    ],
    { stdin: `${idp.clientSecret}\n` },
  );
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /max session \(s\)\s+28800/);
  await root.createRole!('login-group:corp/devs', {
    description: 'developers',
    scopes: ['auth:current-scopes', 'secrets:get:dev/*'],
  });
  idp.setGroups('carol', ['devs']);
});
after(async () => {
  await h.stop();
  await idp.stop();
});

/** Runs the command, calling `act` once with the output when `ready` first matches it. */
async function runWhile(
  args: string[],
  ready: RegExp,
  act: (match: RegExpMatchArray) => Promise<unknown>,
): Promise<CliResult> {
  let acting: Promise<unknown> | undefined;
  const result = await h.run(args, {
    credentials: null,
    onOutput: (_stdout, stderr) => {
      const match = stderr.match(ready);
      if (match && !acting) acting = act(match);
    },
  });
  assert.ok(acting, `never printed ${String(ready)}: ${result.stderr}`);
  await acting;
  return result;
}

async function storedCredentials(): Promise<{ clientId: string; accessToken: string }> {
  const file = JSON.parse(
    await readFile(join(h.configHome, 'bulwark', 'credentials.json'), 'utf8'),
  ) as { profiles: Record<string, { credentials: { clientId: string; accessToken: string } }> };
  return file.profiles.default!.credentials;
}

test('signin --web: the browser signs in at the provider, the CLI keeps the credentials', async () => {
  const result = await runWhile(
    ['signin', '--web', '--no-browser'],
    /\n {2}(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)\n/,
    // The person's browser: signs in, consents, and is sent to the CLI's loopback port.
    async (match) => {
      const url = match[1]!;
      const redirectUri = new URL(url).searchParams.get('redirect_uri')!;
      assert.match(redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
      const browser = new TestBrowser();
      const callback = await browser.signInAs(url, 'carol', redirectUri);
      const page = await browser.open(callback.href);
      assert.equal(page.status, 200, page.body);
    },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /signed in to .* as login:corp\/carol \(profile default\)/);
  assert.match(result.stdout, /login-group:corp\/devs/);
  const whoami = await h.run(['whoami', '--json'], { credentials: null });
  assert.equal(whoami.code, 0, whoami.stderr);
  const me = JSON.parse(whoami.stdout) as { clientId: string; scopes: string[] };
  assert.match(me.clientId, /^login:corp\/carol\//);
  assert.ok(me.scopes.includes('secrets:get:dev/*'));
});

test('signout ends the sign-in at the deployment, not only on this machine', async () => {
  const credentials = await storedCredentials();
  const out = await h.run(['signout'], { credentials: null });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /signed out/);
  const auth = new AuthClass({ rootUrl: h.platform.rootUrl, credentials, retries: 0 });
  await assert.rejects(auth.currentScopes!(), { statusCode: 401 });
});

test('signin --device: the code is entered elsewhere, the CLI polls until approved', async () => {
  const result = await runWhile(
    ['signin', '--device'],
    /open (\S+) on any device and enter the code\n\n {2}(\S+)\n/,
    (match) => new TestBrowser().approveDevice(match[1]!, match[2]!, 'carol'),
  );
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /as login:corp\/carol/);
  const whoami = await h.run(['whoami'], { credentials: null });
  assert.match(whoami.stdout, /^login:corp\/carol\//);
  assert.equal((await h.run(['signout'], { credentials: null })).code, 0);
});

test('idp list and show name the provider, never its secret; logins revoke ends sign-ins', async () => {
  const list = await h.run(['idp', 'list']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /corp\s+Corp SSO/);
  const show = await h.run(['idp', 'show', 'corp', '--json']);
  assert.equal((JSON.parse(show.stdout) as { clientSecretSet: boolean }).clientSecretSet, true);
  const revoke = await h.run(['logins', 'revoke', 'corp', 'carol', '--yes']);
  assert.equal(revoke.code, 0, revoke.stderr);
  assert.match(revoke.stdout, /ended \d+ sign-in\(s\) of login:corp\/carol/);
});

test('S1: the CLI prints no provider token, code or access token', async () => {
  const printed = h.transcript.join('\n');
  assert.doesNotMatch(printed, /eyJ[A-Za-z0-9_-]{8,}\./);
  assert.ok(!printed.includes(idp.clientSecret));
  assert.doesNotMatch(printed, /[?&]code=/);
  assert.doesNotMatch(printed, /accessToken/);
});
