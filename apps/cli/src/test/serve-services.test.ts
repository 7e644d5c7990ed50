import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@bulwark/server/testing';

const bin = resolve(fileURLToPath(import.meta.url), '../../../bin/bulwark.js');
let scratch: string;
let database: TestDatabase;
let configFile: string;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bulwark-serve-services-'));
  database = await createTestDatabase();
  configFile = join(scratch, 'serve.json');
  const keyring = { keys: [{ id: 'cli-test', key: randomBytes(32).toString('base64') }] };
  await writeFile(
    configFile,
    JSON.stringify({
      services: 'queue',
      databaseUrl: database.connectionString,
      keyring,
      dataDir: join(scratch, 'data'),
    }),
    { mode: 0o600 },
  );
});
after(async () => {
  await database.drop();
  await rm(scratch, { recursive: true, force: true });
});

/** The environment of a clean shell: no BULWARK_* setting leaks in from the test run. */
const cleanEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  BULWARK_LOG_LEVEL: 'warn',
  ...extra,
});

/** Runs `bulwark serve ARGS` until it is ready (then SIGTERM) or exits on its own. */
function serve(
  args: string[],
  env: NodeJS.ProcessEnv,
  whenReady: (rootUrl: string, output: string) => Promise<void> = async () => {},
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let ready = false;
  let checked: Promise<void> = Promise.resolve();
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
    const match = /running at (http:\/\/\S+)[\s\S]*Try:/.exec(output);
    if (match?.[1] && !ready) {
      ready = true;
      checked = whenReady(match[1], output).finally(() => child.kill('SIGTERM'));
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise((done, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`not done in 60 s:\n${output}`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      checked.then(() => done({ code, output }), reject);
    });
  });
}

test('a subset of services with the embedded database is refused in one clear line', async () => {
  const { code, output } = await serve(['--service', 'queue'], cleanEnv());
  assert.equal(code, 1);
  assert.match(
    output,
    /^bulwark: --service queue needs an external PostgreSQL: set BULWARK_DATABASE_URL .*serves only --service all\n$/,
  );
});

test('an unknown service name is refused', async () => {
  const { code, output } = await serve(['--service', 'auth,scheduler'], cleanEnv());
  assert.equal(code, 1);
  assert.match(output, /^bulwark: unknown service "scheduler"/);
});

test('--config: a queue-only process on the external database', async () => {
  const { code, output } = await serve(['--config', configFile], cleanEnv(), async (rootUrl) => {
    assert.equal((await fetch(`${rootUrl}/api/queue/v1/ping`)).status, 200);
    assert.equal((await fetch(`${rootUrl}/api/auth/v1/ping`)).status, 404);
  });
  assert.equal(code, 0, output);
  assert.match(output, /Services: queue\n/);
  // Only a process serving auth keeps root credentials.
  assert.doesNotMatch(output, /Root credentials/);
});

test('BULWARK_SERVICES overrides the file, and --service overrides both', async () => {
  const fromEnv = await serve(
    ['--config', configFile],
    cleanEnv({ BULWARK_SERVICES: 'secrets' }),
    async (rootUrl) => {
      assert.equal((await fetch(`${rootUrl}/api/secrets/v1/ping`)).status, 200);
      assert.equal((await fetch(`${rootUrl}/api/queue/v1/ping`)).status, 404);
    },
  );
  assert.equal(fromEnv.code, 0, fromEnv.output);
  assert.match(fromEnv.output, /Services: secrets\n/);
  const fromFlag = await serve(
    ['--config', configFile, '--service', 'auth,secrets'],
    cleanEnv({ BULWARK_SERVICES: 'secrets' }),
  );
  assert.equal(fromFlag.code, 0, fromFlag.output);
  assert.match(fromFlag.output, /Services: auth, secrets\n/);
  assert.match(fromFlag.output, /Root credentials: .*root-credentials\.json/);
});
