import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CliHarness, type Credentials } from './harness.js';

let harness: CliHarness;
const VALUE = { password: 'hunter2-cli-secret-value', nested: { n: 1 } };

before(async () => {
  harness = await CliHarness.start();
});
after(async () => {
  await harness.stop();
});

async function clientWith(id: string, scopes: string[]): Promise<Credentials> {
  const args = ['clients', 'create', id, '--json', ...scopes.flatMap((s) => ['--scope', s])];
  const created = await harness.run(args);
  assert.equal(created.code, 0, created.stderr);
  return { clientId: id, accessToken: (JSON.parse(created.stdout) as Credentials).accessToken };
}

test('secrets set (stdin and --file), get, list and rm', async () => {
  const set = await harness.run(['secrets', 'set', 'project/app/db', '--expires', '1 day'], {
    stdin: JSON.stringify(VALUE),
  });
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /^set project\/app\/db \(expires /);
  assert.ok(!set.stdout.includes(VALUE.password));

  const file = join(harness.configHome, 'value.json');
  await writeFile(file, JSON.stringify({ token: 'from-a-file' }), { mode: 0o600 });
  assert.equal((await harness.run(['secrets', 'set', 'project/app/api', '--file', file])).code, 0);

  const got = await harness.run(['secrets', 'get', 'project/app/db']);
  assert.equal(got.code, 0, got.stderr);
  assert.deepEqual(JSON.parse(got.stdout), VALUE);
  const record = JSON.parse(
    (await harness.run(['secrets', 'get', 'project/app/db', '--json'])).stdout,
  );
  assert.ok(Date.parse(record.expires) > Date.now());

  const list = await harness.run(['secrets', 'list']);
  assert.deepEqual(list.stdout.trim().split('\n'), ['project/app/api', 'project/app/db']);
  assert.ok(!list.stdout.includes(VALUE.password));

  assert.equal((await harness.run(['secrets', 'rm', 'project/app/api', '--yes'])).code, 0);
  const gone = await harness.run(['secrets', 'get', 'project/app/api']);
  assert.equal(gone.code, 5);
  assert.match(gone.stderr, /^bulwark: ResourceNotFound \(404\)/);
});

test('secrets: a missing scope is exit 4 without revealing whether the name exists', async () => {
  const reader = await clientWith('secret-reader', ['secrets:get:project/other/*']);
  const denied = await harness.run(['secrets', 'get', 'project/app/db'], { credentials: reader });
  const deniedMissing = await harness.run(['secrets', 'get', 'project/app/nope'], {
    credentials: reader,
  });
  assert.equal(denied.code, 4);
  assert.equal(deniedMissing.code, 4);
  assert.match(denied.stderr, /^bulwark: InsufficientScopes \(403\)/);
  assert.ok(!denied.stdout.includes(VALUE.password));
});

test('secrets: bad input is refused before anything is sent', async () => {
  const notObject = await harness.run(['secrets', 'set', 'x'], { stdin: '[1, 2]' });
  assert.equal(notObject.code, 2);
  assert.match(notObject.stderr, /must be a JSON object/);
  const noValue = await harness.run(['secrets', 'set', 'x', '--file', '/nonexistent/value']);
  assert.equal(noValue.code, 2);
  const badExpiry = await harness.run(['secrets', 'set', 'x', '--expires', 'later'], {
    stdin: '{}',
  });
  assert.equal(badExpiry.code, 2);
  const badName = await harness.run(['secrets', 'set', 'bad\u0001name'], { stdin: '{}' });
  assert.equal(badName.code, 7);
  assert.equal((await harness.run(['secrets', 'list'])).stdout.includes('x\n'), false);
});

test('S1: a secret value appears only in the output of `secrets get`', () => {
  for (const entry of harness.transcript) {
    if (entry.startsWith('$ bulwark secrets get')) continue;
    assert.ok(!entry.includes(VALUE.password), entry.split('\n')[0]);
  }
});
