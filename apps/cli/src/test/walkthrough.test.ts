import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@bulwark/server/testing';

const repository = resolve(fileURLToPath(import.meta.url), '../../../../..');
const bin = join(repository, 'apps/cli/bin/bulwark.js');

/**
 * docs/walkthrough.md, step by step: the control plane on one "host", a worker on
 * another (a network namespace with its own address, reaching the control plane over
 * a veth pair as a second machine would over the network), one config file copied, a
 * task run there. Every command of the walkthrough is run here as written, with this
 * test's addresses and paths.
 */
const id = randomBytes(3).toString('hex');
const namespace = `bw-walk-${id}`;
const hostVeth = `bwwk${id}`;
// A /30 of the test's own, in the namespace it made: nothing else is ever addressed.
const subnet = `10.253.${parseInt(id.slice(0, 2), 16)}`;
const controlAddress = `${subnet}.1`;
const workerAddress = `${subnet}.2`;

let scratch: string;
/** The worker host's data directory: its sandbox user passes through its parents. */
let workerHost: string;
let database: TestDatabase;
const children: ChildProcess[] = [];

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bulwark-walkthrough-'));
  // The worker host's data directory; the worker makes it passable for its sandbox group.
  workerHost = await mkdtemp(join(tmpdir(), 'bulwark-walkthrough-worker-'));
  database = await createTestDatabase();
  ip('netns', 'add', namespace);
  ip('link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace);
  ip('addr', 'add', `${controlAddress}/30`, 'dev', hostVeth);
  ip('link', 'set', hostVeth, 'up');
  ip('-n', namespace, 'addr', 'add', `${workerAddress}/30`, 'dev', 'eth0');
  ip('-n', namespace, 'link', 'set', 'eth0', 'up');
  ip('-n', namespace, 'link', 'set', 'lo', 'up');
});

after(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
  spawnSync('ip', ['link', 'del', hostVeth]);
  spawnSync('ip', ['netns', 'del', namespace]);
  await database.drop();
  await rm(scratch, { recursive: true, force: true });
  await rm(workerHost, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  output: () => string;
}

/** A long-running command (the control plane, the worker), its output collected. */
function start(argv: string[], env: NodeJS.ProcessEnv): Started {
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  return { child, output: () => output };
}

async function waitFor(started: Started, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  for (let waited = 0; waited < 120_000; waited += 100) {
    const match = pattern.exec(started.output());
    if (match) return match;
    if (started.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready:\n${started.output()}`);
}

function run(args: string[], env: NodeJS.ProcessEnv): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    env,
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('the walkthrough: control plane on one host, a worker on another, a task run there', async () => {
  const dataDir = join(scratch, 'control-plane');
  const plain = { PATH: process.env.PATH, BULWARK_LOG_LEVEL: 'warn' };

  // 1. The control plane, on the address the worker host reaches.
  const control = start(
    [
      process.execPath,
      bin,
      'serve',
      '--host',
      controlAddress,
      '--port',
      '0',
      '--data-dir',
      dataDir,
    ],
    { ...plain, BULWARK_DATABASE_URL: database.connectionString },
  );
  const [, rootUrl] = await waitFor(control, /running at (http:\/\/\S+)/, 'bulwark serve');
  assert.ok(rootUrl?.startsWith(`http://${controlAddress}:`));
  const rootToken = (
    JSON.parse(await readFile(join(dataDir, 'root-credentials.json'), 'utf8')) as {
      accessToken: string;
    }
  ).accessToken;
  const admin = {
    ...plain,
    TASKCLUSTER_ROOT_URL: rootUrl,
    TASKCLUSTER_CLIENT_ID: 'static/root',
    TASKCLUSTER_ACCESS_TOKEN: rootToken,
  };

  // 2. The worker's client, with the least scopes, and its one file.
  const file = join(scratch, 'worker.json');
  const init = run(
    [
      'worker',
      'init',
      '--root-url',
      rootUrl!,
      '--queue',
      'proj/linux',
      '--worker-group',
      'rack1',
      '--worker-id',
      'w1',
      '--out',
      file,
    ],
    admin,
  );
  assert.equal(init.code, 0, init.out);
  assert.equal((await stat(file)).mode & 0o777, 0o600); // S11
  assert.ok(!init.out.includes('accessToken'), 'the token is in the file, not the output'); // S1
  const client = JSON.parse(
    run(['clients', 'show', 'worker/proj/linux/w1', '--json'], admin).out,
  ) as {
    scopes: string[];
  };
  // S5: claim from its pool and act as its own id, nothing more.
  assert.deepEqual([...client.scopes].sort(), [
    'assume:worker-pool:proj/linux',
    'queue:worker-id:rack1/w1',
  ]);

  // 3. The worker host: the copied file, a different data directory, another network.
  const worker = start(
    [
      'nsenter',
      `--net=/run/netns/${namespace}`,
      '--',
      process.execPath,
      bin,
      'worker',
      '--config',
      file,
    ],
    { ...plain, BULWARK_LOG_LEVEL: 'info', BULWARK_WORKER_DATA_DIR: workerHost },
  );
  await waitFor(worker, /worker started/, 'bulwark worker');

  // 4. A task there, from the control-plane host, with a client made by the recipe.
  assert.equal(
    run(
      [
        'roles',
        'recipe',
        'run-tasks',
        '--pool',
        'proj/linux',
        '--role',
        'project:proj:ci',
        '--apply',
      ],
      admin,
    ).code,
    0,
  );
  const ci = JSON.parse(
    run(['clients', 'create', 'proj/ci', '--scope', 'assume:project:proj:ci', '--json'], admin).out,
  ) as { accessToken: string };
  const user = {
    ...plain,
    TASKCLUSTER_ROOT_URL: rootUrl,
    TASKCLUSTER_CLIENT_ID: 'proj/ci',
    TASKCLUSTER_ACCESS_TOKEN: ci.accessToken,
  };
  const task = run(
    ['task', 'run', '--queue', 'proj/linux', '--', 'sh', '-c', 'echo hello from the worker host'],
    user,
  );
  assert.equal(task.code, 0, `${task.out}\n--- worker:\n${worker.output()}`);
  assert.match(task.out, /hello from the worker host/);
  assert.match(task.out, /rack1\/w1/, 'the run names the worker on the other host');
});
