import { strict as assert } from 'node:assert';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CliHarness, type CliResult, type Credentials } from './harness.js';

let harness: CliHarness;
let root: Credentials;
const printedTokens: string[] = [];

before(async () => {
  harness = await CliHarness.start();
  root = harness.root;
});
after(async () => {
  await harness.stop();
});

const cli = (args: string[], credentials: Credentials | null = root): Promise<CliResult> =>
  harness.run(args, { credentials });

test('whoami shows the client and its expanded scopes', async () => {
  const r = await cli(['whoami']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^static\/root at http/);
  assert.match(r.stdout, /\n {2}\*\n/);
  const json = JSON.parse((await cli(['whoami', '--json'])).stdout);
  assert.deepEqual(json.scopes, ['*']);
});

test('clients: create prints the token once; list, show, disable, enable, reset, delete', async () => {
  const created = await cli([
    'clients',
    'create',
    'ci/bot',
    '--scope',
    'auth:current-scopes',
    '--scope',
    'project:x:*',
    '--expires',
    '2 days',
    '--json',
  ]);
  assert.equal(created.code, 0, created.stderr);
  const bot = JSON.parse(created.stdout);
  assert.match(bot.accessToken, /^[A-Za-z0-9_-]{44}$/);
  printedTokens.push(bot.accessToken);
  const credentials = { clientId: 'ci/bot', accessToken: bot.accessToken };

  const list = await cli(['clients', 'list', '--prefix', 'ci/']);
  assert.match(list.stdout, /^CLIENT\s+EXPIRES/);
  assert.match(list.stdout, /ci\/bot/);
  const shown = await cli(['clients', 'show', 'ci/bot']);
  assert.match(shown.stdout, /project:x:\*/);
  assert.ok(!shown.stdout.includes(bot.accessToken));

  assert.equal((await cli(['clients', 'disable', 'ci/bot'])).code, 0);
  const refused = await cli(['whoami'], credentials);
  assert.equal(refused.code, 3);
  assert.match(refused.stderr, /^bulwark: AuthenticationFailed \(401\)/);
  assert.equal((await cli(['clients', 'enable', 'ci/bot'])).code, 0);
  assert.equal((await cli(['whoami'], credentials)).code, 0);

  const reset = await cli(['clients', 'reset', 'ci/bot', '--yes']);
  const token = /access token {2}(\S+)/.exec(reset.stdout)?.[1];
  assert.ok(token && token !== bot.accessToken);
  printedTokens.push(token);
  assert.match(reset.stderr, /shown only once/);
  assert.equal((await cli(['whoami'], credentials)).code, 3);

  assert.equal((await cli(['clients', 'delete', 'ci/bot', '--yes'])).code, 0);
  const gone = await cli(['clients', 'show', 'ci/bot']);
  assert.equal(gone.code, 5);
  assert.match(gone.stderr, /ResourceNotFound \(404\)/);
});

test('a missing scope, bad input and missing credentials each fail with their own exit code', async () => {
  const created = JSON.parse(
    (
      await cli([
        'clients',
        'create',
        'limited',
        '--scope',
        'auth:create-client:limited/*',
        '--json',
      ])
    ).stdout,
  );
  printedTokens.push(created.accessToken);
  const limited = { clientId: 'limited', accessToken: created.accessToken };
  const denied = await cli(['clients', 'create', 'limited/x', '--scope', '*'], limited);
  assert.equal(denied.code, 4);
  assert.match(denied.stderr, /^bulwark: InsufficientScopes \(403\)/);
  assert.match(denied.stderr, /"\*"/, 'the missing scope is shown');

  const badId = await cli(['clients', 'create', 'bad id']);
  assert.equal(badId.code, 7);
  assert.match(badId.stderr, /InvalidRequestArguments \(400\)/);
  const badDuration = await cli(['clients', 'create', 'x', '--expires', 'soonish']);
  assert.equal(badDuration.code, 2);
  assert.match(badDuration.stderr, /--expires must be a duration/);

  const anonymous = await cli(['whoami'], null);
  assert.equal(anonymous.code, 2);
  assert.match(anonymous.stderr, /no credentials/);
});

test('roles and scopes: create, show, update, expand, check, delete', async () => {
  assert.equal(
    (
      await cli([
        'roles',
        'create',
        'team:web',
        '--scope',
        'web:deploy',
        '--description',
        'web team',
      ])
    ).code,
    0,
  );
  assert.match((await cli(['roles', 'list'])).stdout, /team:web\s+web:deploy/);
  assert.equal(
    (await cli(['roles', 'update', 'team:web', '--scope', 'web:deploy', '--scope', 'web:rollback']))
      .code,
    0,
  );
  assert.match((await cli(['roles', 'show', 'team:web'])).stdout, /web:rollback/);
  assert.deepEqual((await cli(['scopes', 'expand', 'assume:team:web'])).stdout.trim().split('\n'), [
    'assume:team:web',
    'web:deploy',
    'web:rollback',
  ]);
  assert.equal((await cli(['scopes', 'check', 'anything:at:all'])).code, 0);
  const created = JSON.parse(
    (await cli(['clients', 'create', 'checker', '--scope', 'auth:current-scopes', '--json']))
      .stdout,
  );
  printedTokens.push(created.accessToken);
  const check = await cli(['scopes', 'check', 'auth:current-scopes', 'web:deploy'], {
    clientId: 'checker',
    accessToken: created.accessToken,
  });
  assert.equal(check.code, 4);
  assert.match(check.stdout, /missing:\n {2}web:deploy/);
  assert.equal((await cli(['roles', 'delete', 'team:web', '--yes'])).code, 0);
  assert.equal((await cli(['roles', 'show', 'team:web'])).code, 5);
});

test('audit: list an entity’s trail and verify the chain', async () => {
  const list = await cli(['audit', 'list', 'role', 'team:web']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /created\s+static\/root/);
  assert.match(list.stdout, /deleted\s+static\/root/);
  const verify = await cli(['audit', 'verify']);
  assert.equal(verify.code, 0, verify.stderr);
  assert.match(verify.stdout, /audit log intact: \d+ entries verified/);
});

test('signin keeps temporary credentials (0600) that later commands use', async () => {
  const r = await cli(['signin', '--scope', 'auth:current-scopes', '--expires', '1 hour']);
  assert.equal(r.code, 0, r.stderr);
  const file = join(harness.configHome, 'bulwark', 'credentials.json');
  assert.equal((await stat(file)).mode & 0o777, 0o600); // S11
  const stored = JSON.parse(await readFile(file, 'utf8'));
  assert.ok(stored.profiles.default.credentials.certificate);
  const who = await cli(['whoami', '--json'], null);
  assert.equal(who.code, 0, who.stderr);
  assert.deepEqual(JSON.parse(who.stdout).scopes, ['assume:anonymous', 'auth:current-scopes']);
});

test('S1: no access token appears in any output except the one that created it', () => {
  const all = harness.transcript.join('\n');
  assert.ok(!all.includes(root.accessToken));
  for (const token of printedTokens) {
    const appearances = harness.transcript.filter((t) => t.includes(token)).length;
    assert.equal(appearances, 1, 'a token was printed more than once');
  }
});
