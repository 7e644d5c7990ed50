import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildProgram } from '../program.js';
import { completionScript } from '../lib/completion.js';
import { attachExamples } from '../lib/examples.js';
import { CliHarness, type CliResult, type Credentials } from './harness.js';
import { runInTerminal } from './terminal.js';

let harness: CliHarness;
let root: Credentials;
const tokens: string[] = [];

before(async () => {
  harness = await CliHarness.start();
  root = harness.root;
});
after(async () => {
  await harness.stop();
});

const cli = (args: string[], credentials: Credentials | null = root): Promise<CliResult> =>
  harness.run(args, { credentials });
const terminal = (
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; credentials?: Credentials | null } = {},
): Promise<CliResult> =>
  runInTerminal(args, {
    rootUrl: harness.platform.rootUrl,
    configHome: harness.configHome,
    credentials: options.credentials === undefined ? root : options.credentials,
    ...options,
  });

async function createClient(clientId: string, scopes: string[]): Promise<Credentials> {
  const args = ['clients', 'create', clientId, '--json', ...scopes.flatMap((s) => ['--scope', s])];
  const created = await cli(args);
  assert.equal(created.code, 0, created.stderr);
  const { accessToken } = JSON.parse(created.stdout) as { accessToken: string };
  tokens.push(accessToken);
  return { clientId, accessToken };
}

test('a missing-scope error names the missing scopes; --json gives the API error body', async () => {
  const limited = await createClient('first-hour/limited', ['auth:create-client:first-hour/*']);
  const denied = await cli(['roles', 'create', 'anything', '--scope', 'x:y'], limited);
  assert.equal(denied.code, 4);
  assert.match(
    denied.stderr,
    /^bulwark: InsufficientScopes \(403\): Client ID first-hour\/limited/,
  );
  // The scopes to ask for are in the message, not cut off after its first line.
  assert.match(denied.stderr, /missing the following scopes:\n[\s\S]*"auth:create-role:anything"/);
  assert.doesNotMatch(denied.stderr, /```|^---/m);
  const json = await cli(['roles', 'create', 'anything', '--scope', 'x:y', '--json'], limited);
  assert.equal(json.code, 4);
  const body = JSON.parse(json.stderr) as { code: string; message: string };
  assert.equal(body.code, 'InsufficientScopes');
  assert.match(body.message, /auth:create-role:anything/);
});

test('signin works for any client, status tells what is used, signout forgets; profiles are separate', async () => {
  // Not root: the anonymous role's scopes, which currentScopes reports, must not make
  // the certificate fail (they used to).
  const bot = await createClient('first-hour/bot', ['auth:current-scopes', 'queue:status:*']);
  const signin = await cli(['signin', '--expires', '1 hour'], bot);
  assert.equal(signin.code, 0, signin.stderr);
  assert.match(signin.stdout, /signed in to .* as first-hour\/bot \(profile default\)/);
  const file = join(harness.configHome, 'bulwark', 'credentials.json');
  assert.equal((await stat(file)).mode & 0o777, 0o600); // S11

  const status = JSON.parse((await cli(['status', '--json'], null)).stdout) as Record<
    string,
    unknown
  >;
  assert.equal(status.source, 'profile');
  assert.equal(status.profile, 'default');
  assert.equal(status.temporary, true);
  const who = await cli(['whoami', '--json'], null);
  assert.equal(who.code, 0, who.stderr);
  assert.ok((JSON.parse(who.stdout) as { scopes: string[] }).scopes.includes('queue:status:*'));

  // A second profile: another client, kept beside the first.
  const other = await createClient('first-hour/other', ['auth:current-scopes']);
  assert.equal((await cli(['--profile', 'staging', 'signin'], other)).code, 0);
  const staging = await cli(['--profile', 'staging', 'status', '--json'], null);
  assert.equal((JSON.parse(staging.stdout) as { clientId: string }).clientId, 'first-hour/other');
  const stored = JSON.parse(await readFile(file, 'utf8')) as { profiles: Record<string, unknown> };
  assert.deepEqual(Object.keys(stored.profiles).sort(), ['default', 'staging']);

  assert.match((await cli(['signout'], null)).stdout, /signed out \(profile default\)/);
  assert.match((await cli(['signout'], null)).stdout, /not signed in/);
  const gone = await cli(['whoami'], null);
  assert.equal(gone.code, 2);
  // The hint says where credentials come from, not just "sign in" (which needs them).
  assert.match(gone.stderr, /TASKCLUSTER_CLIENT_ID and TASKCLUSTER_ACCESS_TOKEN/);
  assert.equal((await cli(['--profile', 'staging', 'whoami'], null)).code, 0);
  assert.equal((await cli(['--profile', '../x', 'status'], null)).code, 2);
  const refused = await cli(['signin'], null);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /signin needs a permanent client/);
});

test('updates change only what was given; deleting what does not exist says so', async () => {
  await createClient('first-hour/keep', ['a:b', 'c:d']);
  const before = JSON.parse((await cli(['clients', 'show', 'first-hour/keep', '--json'])).stdout);
  const described = await cli([
    'clients',
    'update',
    'first-hour/keep',
    '--description',
    'kept',
    '--json',
  ]);
  assert.equal(described.code, 0, described.stderr);
  const after1 = JSON.parse(described.stdout);
  assert.equal(after1.description, 'kept');
  assert.deepEqual(after1.scopes, before.scopes);
  assert.equal(after1.expires, before.expires, 'the expiry was not asked to change');
  const added = JSON.parse(
    (
      await cli([
        'clients',
        'update',
        'first-hour/keep',
        '--add-scope',
        'e:f',
        '--remove-scope',
        'a:b',
        '--json',
      ])
    ).stdout,
  );
  assert.deepEqual([...added.scopes].sort(), ['c:d', 'e:f']);
  assert.equal(added.description, 'kept');
  const bad = await cli(['clients', 'update', 'first-hour/keep', '--remove-scope', 'nope:x']);
  assert.equal(bad.code, 2);

  assert.equal(
    (await cli(['roles', 'create', 'first-hour:r', '--scope', 'x:1', '--description', 'd'])).code,
    0,
  );
  const role = JSON.parse(
    (await cli(['roles', 'update', 'first-hour:r', '--add-scope', 'x:2', '--json'])).stdout,
  );
  assert.deepEqual([...role.scopes].sort(), ['x:1', 'x:2']);
  assert.equal(role.description, 'd');

  const missing = await cli(['clients', 'delete', 'first-hour/never', '--yes']);
  assert.equal(missing.code, 5);
  assert.match(missing.stderr, /ResourceNotFound \(404\)/);
  assert.equal((await cli(['roles', 'delete', 'first-hour:never', '--yes'])).code, 5);
});

test('destructive commands ask on a terminal and need --yes elsewhere', async () => {
  await createClient('first-hour/doomed', []);
  const script = await cli(['clients', 'delete', 'first-hour/doomed']);
  assert.equal(script.code, 2);
  assert.match(script.stderr, /pass --yes/);
  const no = await terminal(['clients', 'delete', 'first-hour/doomed'], { input: 'n\r' });
  assert.equal(no.code, 1, no.stdout);
  assert.match(no.stdout, /Delete the client first-hour\/doomed\? \[y\/N\]/);
  assert.equal((await cli(['clients', 'show', 'first-hour/doomed'])).code, 0, 'still there');
  const yes = await terminal(['clients', 'delete', 'first-hour/doomed'], { input: 'y\r' });
  assert.equal(yes.code, 0, yes.stdout);
  assert.equal((await cli(['clients', 'show', 'first-hour/doomed'])).code, 5);
});

test('conventions: --version, bare commands print help, usage errors exit 2, NO_COLOR', async () => {
  const version = await cli(['--version'], null);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  const bare = await cli([], null);
  assert.equal(bare.code, 0);
  assert.match(bare.stdout, /^Usage: bulwark/);
  const group = await cli(['clients'], null);
  assert.equal(group.code, 0);
  assert.match(group.stdout, /Usage: bulwark clients/);
  for (const args of [
    ['clients', 'bogus'],
    ['clients', 'show'],
    ['whoami', '--bogus'],
    ['bogus'],
  ]) {
    const r = await cli(args, null);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
  const help = await cli(['task', 'run', '--help'], null);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Examples:\n {2}# /);

  const styled = await terminal(['clients', 'list', '--prefix', 'first-hour/']);
  assert.equal(styled.code, 0, styled.stdout);
  assert.ok(styled.stdout.includes('\u001b[1m'), 'a terminal gets a bold header');
  for (const plain of [
    await terminal(['clients', 'list'], { env: { NO_COLOR: '1' } }),
    await terminal(['--no-color', 'clients', 'list']),
  ]) {
    assert.equal(plain.code, 0, plain.stdout);
    assert.ok(!plain.stdout.includes('\u001b['), 'no escape sequence when colour is off');
  }
});

test('every command has examples in its help', () => {
  const program = buildProgram();
  // buildProgram attached them already; a second pass only reports what has none.
  assert.deepEqual(attachExamples(program), []);
});

test('shell completion follows the command tree (bash, zsh, fish)', () => {
  const script = completionScript(buildProgram(), 'bash');
  const complete = (words: string[]): string[] => {
    const program = [
      script,
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}`,
      '_bulwark; printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const r = spawnSync('bash', ['--norc', '-c', program], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split('\n');
  };
  assert.ok(complete(['bulwark', 'cl']).includes('clients'));
  assert.deepEqual(complete(['bulwark', 'clients', 'cr']), ['create']);
  assert.ok(complete(['bulwark', 'clients', 'create', 'x', '--desc']).includes('--description'));
  assert.ok(complete(['bulwark', 'task', 'run', '--']).includes('--artifact'));
  assert.match(completionScript(buildProgram(), 'zsh'), /^#compdef bulwark\n[\s\S]*bashcompinit/);
  const fish = completionScript(buildProgram(), 'fish');
  assert.match(fish, /complete -c bulwark -n 'test \(__bulwark_path\) = "clients"' -a create/);
});

test('roles recipe: the printed scopes are enough to run tasks in the pool, and no more', async () => {
  const printed = await cli([
    'roles',
    'recipe',
    'run-tasks',
    '--pool',
    'first-hour/pool',
    '--role',
    'first-hour:ci',
  ]);
  assert.equal(printed.code, 0, printed.stderr);
  assert.match(printed.stdout, /bulwark roles create 'first-hour:ci'/);
  assert.match(printed.stdout, /--scope 'queue:create-task:highest:first-hour\/pool'/);
  const applied = await cli([
    'roles',
    'recipe',
    'run-tasks',
    '--pool',
    'first-hour/pool',
    '--role',
    'first-hour:ci',
    '--apply',
  ]);
  assert.equal(applied.code, 0, applied.stderr);
  const ci = await createClient('first-hour/ci', ['assume:first-hour:ci']);
  const task = JSON.stringify({ taskQueueId: 'first-hour/pool', payload: { command: [['true']] } });
  const created = await harness.run(['task', 'create'], { credentials: ci, stdin: task });
  assert.equal(created.code, 0, created.stderr);
  const elsewhere = JSON.stringify({
    taskQueueId: 'first-hour/other',
    payload: { command: [['true']] },
  });
  const refused = await harness.run(['task', 'create'], { credentials: ci, stdin: elsewhere });
  assert.equal(refused.code, 4, refused.stderr);
  assert.equal((await cli(['roles', 'recipe', 'nonesuch'])).code, 2);
});

test('S1: no access token appears in any output but the one that created it', () => {
  const all = harness.transcript.join('\n');
  assert.ok(!all.includes(root.accessToken));
  for (const token of tokens) {
    assert.equal(harness.transcript.filter((t) => t.includes(token)).length, 1);
  }
});
