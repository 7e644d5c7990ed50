import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { SANDBOX_GID } from '@bulwark/worker';
import { workerRunsDirectory } from '../commands/up.js';
import { WORKER_RUNS_ROOT } from '../commands/worker-runs.js';

const bin = resolve(fileURLToPath(import.meta.url), '../../../bin/bulwark.js');
let scratch: string;
let dataDir: string;
let up: ChildProcess;
let rootUrl: string;
let exitCode: Promise<number | null>;

/** Runs the real `bulwark` binary with the root credentials of the running platform. */
async function cli(
  args: string[],
  stdin?: string,
  cwd?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const root = JSON.parse(await readFile(join(dataDir, 'root-credentials.json'), 'utf8')) as {
    clientId: string;
    accessToken: string;
  };
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: {
        PATH: process.env.PATH,
        TASKCLUSTER_ROOT_URL: rootUrl,
        TASKCLUSTER_CLIENT_ID: root.clientId,
        TASKCLUSTER_ACCESS_TOKEN: root.accessToken,
      },
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(cwd ? { cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => done({ code, stdout, stderr }));
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bulwark-up-'));
  // Private, like a clone under /root or `mktemp -d`: nothing here is loosened for anyone.
  await chmod(scratch, 0o700);
  dataDir = join(scratch, 'data');
  await plantLeftoverRuns();
  up = spawn(process.execPath, [bin, 'up', '--data-dir', dataDir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BULWARK_LOG_LEVEL: 'warn' },
  });
  exitCode = new Promise((done) => up.once('exit', (code) => done(code)));
  rootUrl = await new Promise<string>((done, fail) => {
    let out = '';
    let errors = '';
    up.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    up.once('exit', (code) => fail(new Error(`bulwark up exited (${String(code)}): ${errors}`)));
    const timer = setTimeout(
      () => fail(new Error(`bulwark up did not start: ${out}${errors}`)),
      60_000,
    );
    up.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /running at (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        done(match[1]);
      }
    });
  });
});

after(async () => {
  if (up.exitCode === null) up.kill('SIGKILL');
  await rm(workerRunsDirectory(dataDir), { recursive: true, force: true });
  for (const dir of [dataDir, ...Object.values(leftovers)].map(workerRunsDirectory)) {
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}.owner`, { force: true });
  }
  await rm(scratch, { recursive: true, force: true });
});

/** Data directories (never created) whose local worker's runs were left behind. */
const leftovers = {
  /** Its instance is gone (a pid that has exited): the next `bulwark up` removes its runs. */
  orphaned: '',
  /** Its instance still runs (this process): left alone, even though its data directory is gone. */
  live: '',
};

async function plantLeftoverRuns(): Promise<void> {
  leftovers.orphaned = join(scratch, 'deleted-data');
  leftovers.live = join(scratch, 'moved-data');
  const gone = spawn('true');
  await new Promise((done) => gone.once('exit', done));
  await mkdir(WORKER_RUNS_ROOT, { recursive: true, mode: 0o700 });
  for (const [dir, pid] of [
    [leftovers.orphaned, gone.pid!],
    [leftovers.live, process.pid],
  ] as const) {
    const runs = workerRunsDirectory(dir);
    await mkdir(join(runs, 'runs', 'some-task'), { recursive: true, mode: 0o700 });
    await writeFile(`${runs}.owner`, JSON.stringify({ dataDir: dir, pid }), { mode: 0o600 });
  }
}

test('bulwark up runs a task in the local sandboxed worker', async () => {
  const created = await cli(
    ['task', 'create'],
    "payload: {command: [sh, -c, 'echo hello from the sandbox']}\n",
  );
  assert.equal(created.code, 0, created.stderr);
  const taskId = created.stdout.trim();
  let state = '';
  for (let i = 0; i < 300 && state !== 'completed'; i++) {
    const status = await cli(['task', 'status', taskId, '--json']);
    state = (JSON.parse(status.stdout) as { state: string }).state;
    if (state === 'failed' || state === 'exception') break;
    await sleep(100);
  }
  assert.equal(state, 'completed');
});

test('task run streams the log, downloads the declared artifact and exits with the task', async () => {
  const out = join(scratch, 'out');
  const ran = await cli(
    [
      'task',
      'run',
      '--artifact',
      'out.txt',
      '--out',
      out,
      '--',
      'sh',
      '-c',
      'echo hello; echo art > out.txt',
    ],
    undefined,
    scratch,
  );
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /^hello$/m);
  assert.match(ran.stdout, /\[bulwark\] exit code 0/);
  assert.equal(await readFile(join(out, 'out.txt'), 'utf8'), 'art\n');
  assert.match(ran.stderr, /task \S{22} completed/);
  const taskId = /task (\S{22}) created/.exec(ran.stderr)?.[1] ?? '';

  const watched = await cli(['task', 'watch', taskId, '--json']);
  assert.equal(watched.code, 0, watched.stderr);
  assert.deepEqual(
    watched.stdout
      .trim()
      .split(/\n(?=\{)/)
      .map((event) => (JSON.parse(event) as { event: string }).event),
    ['task-defined', 'task-pending', 'task-running', 'task-completed'],
  );

  // The log and the artifacts stay reachable by name after the run.
  const log = await cli(['task', 'log', taskId]);
  assert.equal(log.code, 0, log.stderr);
  assert.match(log.stdout, /^hello$/m);
  const listed = await cli(['task', 'artifacts', taskId]);
  assert.match(listed.stdout, /public\/out\.txt\s+object/);
  assert.match(listed.stdout, /public\/logs\/live\.log\s+link/);

  const failed = await cli(['task', 'run', '--', 'sh', '-c', 'echo failing >&2; exit 3']);
  assert.equal(failed.code, 3, failed.stderr);
  assert.match(failed.stdout, /^failing$/m);
  assert.match(failed.stderr, /failed/);

  const missing = await cli(['task', 'log', 'GHiWyIPeTeSzfmZf-lHiiA']);
  assert.equal(missing.code, 5);
  assert.match(missing.stderr, /ResourceNotFound \(404\)/);
});

test('S5, S11: the local worker has its own pool-scoped client; its files are private', async () => {
  const workerCredentials = join(dataDir, 'worker', 'credentials.json');
  assert.equal((await stat(workerCredentials)).mode & 0o777, 0o600);
  const { clientId } = JSON.parse(await readFile(workerCredentials, 'utf8')) as {
    clientId: string;
  };
  const shown = await cli(['clients', 'show', clientId, '--json']);
  const client = JSON.parse(shown.stdout) as { scopes: string[]; expandedScopes: string[] };
  assert.deepEqual(client.scopes.sort(), [
    'assume:worker-pool:local/default',
    'queue:worker-id:local/local-1',
  ]);
  assert.ok(!client.expandedScopes.includes('*'));
  assert.ok(client.expandedScopes.includes('queue:claim-work:local/default'));
});

/** Every path under `root` (itself included) with its mode and owners; links not followed. */
async function walk(root: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const visit = async (path: string): Promise<void> => {
    const info = await lstat(path).catch(() => undefined);
    // Files the database removes while we walk (its statistics, WAL segments) do not count.
    if (!info) return;
    found.set(path, `${(info.mode & 0o7777).toString(8)} ${info.uid}:${info.gid}`);
    if (info.isDirectory()) {
      for (const entry of await readdir(path).catch(() => [] as string[])) {
        await visit(join(path, entry));
      }
    }
  };
  await visit(root);
  return found;
}

/** The pids of `parent`'s children whose command line contains `word`. */
async function childrenOf(parent: number, word: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid !== parent) continue;
    const commandLine = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (commandLine.split('\0').includes(word)) found.push(Number(entry));
  }
  return found;
}

async function runToCompletion(command: string): Promise<string> {
  const created = await cli(['task', 'create'], `payload: {command: [sh, -c, '${command}']}\n`);
  assert.equal(created.code, 0, created.stderr);
  const taskId = created.stdout.trim();
  let state = '';
  for (let i = 0; i < 600 && !['completed', 'failed', 'exception'].includes(state); i++) {
    const status = await cli(['task', 'status', taskId, '--json']);
    state = (JSON.parse(status.stdout) as { state: string }).state;
    if (state !== 'completed') await sleep(100);
  }
  return state;
}

// S11: nothing Bulwark creates is open to others, not even for traversal.
test('S11: nothing bulwark up creates has a mode bit for others', async () => {
  const created = await walk(dataDir);
  assert.ok(created.has(join(dataDir, 'worker', 'config.json')), 'the walk saw the worker');
  assert.ok(created.has(join(dataDir, 'postgres', 'PG_VERSION')), 'the walk saw the cluster');
  const open = [...created].filter(([, mode]) => (parseInt(mode, 8) & 0o007) !== 0);
  assert.deepEqual(open, []);
  assert.equal((await stat(scratch)).mode & 0o777, 0o700, 'the parent is not loosened');
  // The worker's runs live outside the data directory, for the sandbox user to reach:
  // through the sandbox's own group, never through "others".
  const runsRoot = await stat(WORKER_RUNS_ROOT);
  assert.equal(runsRoot.mode & 0o777, 0o710);
  assert.deepEqual([runsRoot.uid, runsRoot.gid], [0, SANDBOX_GID]);
  assert.equal((await stat(`${workerRunsDirectory(dataDir)}.owner`)).mode & 0o777, 0o600);
});

// S19: one instance never disturbs another, even by being refused.
test('S19: a second bulwark up on the same data directory is refused and changes nothing', async () => {
  const cluster = join(dataDir, 'postgres');
  const outsideCluster = (files: Map<string, string>): [string, string][] =>
    [...files].filter(([path]) => !path.startsWith(`${cluster}/`)).sort();
  const before = outsideCluster(await walk(dataDir));
  const second = spawn(process.execPath, [bin, 'up', '--data-dir', dataDir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BULWARK_LOG_LEVEL: 'warn' },
  });
  let stderr = '';
  second.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((done) => second.once('exit', done));
  assert.equal(code, 1);
  assert.match(stderr, /already running on .*another Bulwark/s);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  assert.deepEqual(outsideCluster(await walk(dataDir)), before);
  assert.equal(await runToCompletion('echo still here'), 'completed');
});

// S19: a crashed worker is restarted, never taking the control plane with it.
test('S19: a killed local worker is restarted and the API keeps answering', async () => {
  const [first] = await childrenOf(up.pid!, 'worker');
  assert.ok(first !== undefined, 'the local worker runs as a child of bulwark up');
  process.kill(first, 'SIGKILL');
  const ping = await fetch(`${rootUrl}/api/queue/v1/ping`);
  assert.equal(ping.status, 200);
  let next: number | undefined;
  for (let i = 0; i < 300 && next === undefined; i++) {
    await sleep(100);
    next = (await childrenOf(up.pid!, 'worker')).find((pid) => pid !== first);
  }
  assert.ok(next !== undefined, 'a new worker came up');
  assert.equal(await runToCompletion('echo after the restart'), 'completed');
});

test('runs left by an instance that is gone, with its data directory, are removed', async () => {
  await assert.rejects(stat(workerRunsDirectory(leftovers.orphaned)), { code: 'ENOENT' });
  await assert.rejects(stat(`${workerRunsDirectory(leftovers.orphaned)}.owner`), {
    code: 'ENOENT',
  });
  assert.ok((await stat(join(workerRunsDirectory(leftovers.live), 'runs'))).isDirectory());
});

test('Ctrl-C stops the worker, then the control plane, and exits cleanly', async () => {
  up.kill('SIGINT');
  assert.equal(await exitCode, 0);
  // The worker's runs went with it: nothing stays behind in the host-wide directory.
  await assert.rejects(stat(workerRunsDirectory(dataDir)), { code: 'ENOENT' });
  await assert.rejects(stat(`${workerRunsDirectory(dataDir)}.owner`), { code: 'ENOENT' });
});
