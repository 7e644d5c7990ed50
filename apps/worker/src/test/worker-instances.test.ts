// S19, S6: two workers on one host, with the same group and id (two `bulwark up`, the
// same pool twice) but their own data directories, never touch each other's cgroups,
// networks or directories: the second one's start-up recovery leaves the first one's
// running task alone. S11: nothing the worker makes is open to "others".
// Everything here goes through prepareEngine() and startWorker(), as `bulwark worker`.
import { strict as assert } from 'node:assert';
import { execFile, spawnSync } from 'node:child_process';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import pino from 'pino';
import taskcluster from 'taskcluster-client';
import { startTestPlatform, type TestPlatform } from '@bulwark/server/testing';
import { removeTree } from '../cleanup/remove-tree.js';
import { objectPrefix } from '../daemon/worker-instance.js';
import { prepareEngine, SANDBOX_GID, startWorker } from '../daemon/start-worker.js';
import type { Worker } from '../daemon/worker.js';
import type { WorkerConfig } from '../daemon/worker-config.js';
import { detectCgroupVersion, TaskCgroup } from '../sandbox/cgroup.js';
import { proxySocketPath } from '../proxy/socket-path.js';

const GROUP = `twin${process.pid}`;
const WORKER_ID = 'w1';
let running: TestPlatform;
let rootQueue: InstanceType<typeof taskcluster.Queue>;
let scratch: string;
let credentialsFile: string;
const workers: Worker[] = [];
const dataDirs: string[] = [];
let firstConfig: WorkerConfig | undefined;
/** Immutable files a test made, wherever they are now: `after` clears the flag. */
const pinnedFiles: string[] = [];

before(async () => {
  running = await startTestPlatform();
  const rootUrl = running.platform.rootUrl;
  const root = JSON.parse(await readFile(running.platform.rootCredentialsPath, 'utf8')) as {
    clientId: string;
    accessToken: string;
  };
  rootQueue = new taskcluster.Queue({ rootUrl, credentials: root });
  const clientId = `worker/${GROUP}`;
  const { accessToken } = await new taskcluster.Auth({ rootUrl, credentials: root }).createClient(
    clientId,
    {
      description: 'twin workers',
      expires: new Date(Date.now() + 3600_000).toJSON(),
      scopes: [`queue:claim-work:proj-${GROUP}/*`, `queue:worker-id:${GROUP}/${WORKER_ID}`],
    },
  );
  // Short: the proxy's unix socket lives below the data directory (108 bytes at most).
  scratch = await mkdtemp('/tmp/bwi-');
  // The operator's part: the directory above the data directories lets the sandbox
  // user's group pass. Everything below it is the worker's own.
  await chown(scratch, 0, SANDBOX_GID);
  await chmod(scratch, 0o710);
  credentialsFile = join(scratch, 'credentials.json');
  await writeFile(credentialsFile, JSON.stringify({ clientId, accessToken }), { mode: 0o600 });
});

after(async () => {
  for (const file of pinnedFiles)
    await promisify(execFile)('chattr', ['-i', file]).catch(() => undefined);
  for (const worker of workers) await worker.stop(0);
  await running.stop();
  const version = await detectCgroupVersion();
  for (const dataDir of dataDirs) {
    const id = (await readFile(join(dataDir, 'instance-id'), 'utf8').catch(() => '')).trim();
    if (id === '') continue;
    for (const leftover of await TaskCgroup.findLeftovers(
      version,
      objectPrefix(id, GROUP, WORKER_ID),
    ))
      await leftover.destroy();
  }
  // Whatever a failed test left (a tree deeper than PATH_MAX included).
  await removeTree(scratch);
});

function configFor(name: string): WorkerConfig {
  const dataDir = join(scratch, name, 'new', 'd');
  dataDirs.push(dataDir);
  return {
    rootUrl: running.platform.rootUrl,
    taskQueueId: `proj-${GROUP}/${name}`,
    workerGroup: GROUP,
    workerId: WORKER_ID,
    capacity: 1,
    engine: 'sandbox',
    isolated: true,
    limits: {
      maxRunTime: 60,
      max: { memoryMB: 256, pids: 64, cpus: 1, diskMB: 128 },
      defaults: { memoryMB: 128, pids: 32, cpus: 1, diskMB: 64 },
      networkAllow: [],
    },
    dataDir,
    credentialsFile,
    shutdownGraceSeconds: 0,
    diskImageMB: 512,
  };
}

async function start(config: WorkerConfig): Promise<Worker> {
  const logger = pino({ level: 'silent' });
  const { engine } = await prepareEngine(config, { allowInsecure: false, logger });
  const worker = await startWorker(config, engine, logger);
  workers.push(worker);
  return worker;
}

async function createTask(config: WorkerConfig, payload: unknown): Promise<string> {
  const taskId = taskcluster.slugid();
  await rootQueue.createTask(taskId, {
    taskQueueId: config.taskQueueId,
    created: new Date().toJSON(),
    deadline: new Date(Date.now() + 3600_000).toJSON(),
    payload,
    metadata: {
      name: 'twin',
      description: 'twin',
      owner: 'twin@example.com',
      source: 'https://example.com/',
    },
  });
  return taskId;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const stateOf = async (taskId: string): Promise<string> =>
  ((await rootQueue.status(taskId)) as { status: { state: string } }).status.state;

/** The run directory of a running task, once the worker has made its task directory. */
const runDirOf = (config: WorkerConfig, taskId: string): Promise<string> =>
  until('the run directory', async () => {
    const runs = join(config.dataDir, 'runs');
    const name = (await readdir(runs).catch(() => [] as string[])).find((n) =>
      n.startsWith(taskId),
    );
    return name !== undefined && (await stateOf(taskId)) === 'running'
      ? join(runs, name)
      : undefined;
  });

test('S19, S6: a second worker with the same group and id starts while the first runs a task, and the task completes untouched', async () => {
  const first = configFor('first');
  firstConfig = first;
  await start(first);
  // Long enough that the second worker's recovery and self-test happen while it runs.
  const taskId = await createTask(first, {
    command: ['/bin/sh', '-c', 'sleep 0.5; while [ ! -e go ]; do sleep 0.1; done; echo finished'],
  });
  const runDir = await runDirOf(first, taskId);

  const second = configFor('second');
  await start(second);
  const ids = await Promise.all(
    [first, second].map(async (c) =>
      (await readFile(join(c.dataDir, 'instance-id'), 'utf8')).trim(),
    ),
  );
  assert.notEqual(ids[0], ids[1], 'each worker instance has its own id');
  // The first task is still running, its directory and cgroup in place.
  assert.equal(await stateOf(taskId), 'running');
  const version = await detectCgroupVersion();
  const firstCgroups = await TaskCgroup.findLeftovers(
    version,
    objectPrefix(ids[0] ?? '', GROUP, WORKER_ID),
  );
  assert.ok(firstCgroups.length >= 1, "the first worker's task cgroup is still there");
  await writeFile(join(runDir, 'task', 'go'), '');
  assert.equal(
    await until('the first task to resolve', async () => {
      const state = await stateOf(taskId);
      return state === 'running' || state === 'pending' ? undefined : state;
    }),
    'completed',
  );

  // The second one works too.
  const other = await createTask(second, { command: ['/bin/sh', '-c', 'echo second'] });
  assert.equal(
    await until('the second task to resolve', async () => {
      const state = await stateOf(other);
      return state === 'running' || state === 'pending' ? undefined : state;
    }),
    'completed',
  );
});

test('S19: a second worker process over the same data directory refuses to start', async () => {
  const config = firstConfig;
  assert.ok(config, 'the first worker runs');
  const file = join(scratch, 'same-dir.json');
  await writeFile(file, JSON.stringify(config), { mode: 0o600 });
  const entry = new URL('../index.js', import.meta.url).href;
  const child = await promisify(execFile)(process.execPath, [
    '--input-type=module',
    '-e',
    `const { prepareEngine } = await import(${JSON.stringify(entry)});` +
      "const config = JSON.parse((await import('node:fs')).readFileSync(process.argv[1], 'utf8'));" +
      'await prepareEngine(config, { allowInsecure: false }).then(' +
      "() => console.log('started'), (err) => console.log(err.constructor.name, err.message));",
    file,
  ]);
  assert.match(
    child.stdout,
    /^WorkerConfigError another worker \(pid \d+\) uses the data directory/,
  );
});

test('S11: nothing the worker makes is open to others; the run directory is passable by the sandbox group only', async () => {
  const config = configFor('modes');
  await start(config);
  const taskId = await createTask(config, {
    command: ['/bin/sh', '-c', 'while [ ! -e go ]; do sleep 0.1; done'],
    features: { taskclusterProxy: true },
  });
  const runDir = await runDirOf(config, taskId);
  await until('the proxy socket', async () =>
    (await lstat(proxySocketPath(runDir)).catch(() => undefined)) ? true : undefined,
  );
  const open: string[] = [];
  const walk = async (path: string): Promise<void> => {
    const info = await lstat(path);
    if ((info.mode & 0o007) !== 0) open.push(`${path} ${(info.mode & 0o7777).toString(8)}`);
    // The task directory's contents are the task's; the directory itself is checked.
    if (info.isDirectory() && path !== join(runDir, 'task')) {
      for (const name of await readdir(path)) await walk(join(path, name));
    }
  };
  await walk(join(scratch, 'modes'));
  assert.deepEqual(open, []);
  for (const dir of [
    join(scratch, 'modes'),
    config.dataDir,
    join(config.dataDir, 'runs'),
    runDir,
  ]) {
    const info = await lstat(dir);
    assert.equal(info.mode & 0o777, 0o710, dir);
    assert.equal(info.gid, SANDBOX_GID, dir);
  }
  assert.equal((await lstat(join(config.dataDir, 'quarantine'))).mode & 0o777, 0o700);
  // Another unprivileged user of the host cannot even pass through to the task directory.
  const probe = spawnSync(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', 'stat', join(runDir, 'task')],
    { encoding: 'utf8' },
  );
  assert.notEqual(probe.status, 0, 'another user reached the task directory');
  assert.match(probe.stderr, /Permission denied/);
  await writeFile(join(runDir, 'task', 'go'), '');
});

test('S19: a worker restarting over a tree deeper than PATH_MAX and an undeletable leftover starts, and sets the latter aside', async () => {
  const config = configFor('restart');
  // What a crash left: run directories with a deep tree, and one with an immutable file
  // whose name is the task's (it must not reach the worker's log).
  const runs = join(config.dataDir, 'runs');
  await mkdir(runs, { recursive: true });
  await promisify(execFile)('/usr/bin/python3', [
    '-c',
    'import os, sys\nos.chdir(sys.argv[1])\nfor i in range(2500): os.mkdir("dd"); os.chdir("dd")',
    await mkdtemp(join(runs, 'deep-')),
  ]);
  const pinned = join(await mkdtemp(join(runs, 'pinned-')), 'task-chosen-name');
  await writeFile(pinned, 'x');
  await promisify(execFile)('chattr', ['+i', pinned]);
  pinnedFiles.push(pinned);

  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
  const { engine } = await prepareEngine(config, { allowInsecure: false, logger });
  await engine.close?.();
  assert.deepEqual(await readdir(runs), []);
  const [setAside] = await readdir(join(config.dataDir, 'quarantine'));
  assert.ok(setAside?.startsWith('pinned-'));
  pinnedFiles.push(join(config.dataDir, 'quarantine', setAside ?? '', 'task-chosen-name'));
  const log = lines.join('');
  assert.match(log, /a leftover could not be destroyed; the worker goes on/);
  assert.match(log, /immutable/);
  assert.doesNotMatch(log, /task-chosen-name/);
});
