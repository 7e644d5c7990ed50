import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import { CliHarness } from './harness.js';
import { startSandboxedPool, type SandboxedPool } from './sandboxed-pool.js';
import { runInTerminal } from './terminal.js';

let harness: CliHarness;
let pool: SandboxedPool;
let out: string;

before(async () => {
  harness = await CliHarness.start();
  pool = await startSandboxedPool(harness, 'follow');
  out = await mkdtemp(join(tmpdir(), 'bulwark-cli-follow-'));
});

after(async () => {
  await pool.stop();
  await harness.stop();
  await rm(out, { recursive: true, force: true });
});

const queue = (): any =>
  new taskcluster.Queue({ rootUrl: harness.platform.rootUrl, credentials: harness.root });
const taskIdOf = (stderr: string): string => {
  const taskId = /task ([A-Za-z0-9_-]{22}) created/.exec(stderr)?.[1];
  assert.ok(taskId, stderr);
  return taskId;
};

test('task run --json: the outcome on stdout, the log on stderr; artifacts land where task artifacts --download puts them', async () => {
  const ran = await harness.run([
    'task',
    'run',
    '--queue',
    pool.taskQueueId,
    '--json',
    '--out',
    join(out, 'run'),
    '--artifact',
    'dist/app.txt',
    '--',
    'sh',
    '-c',
    'mkdir dist; echo built > dist/app.txt; echo done',
  ]);
  assert.equal(ran.code, 0, ran.stderr);
  const outcome = JSON.parse(ran.stdout) as {
    taskId: string;
    state: string;
    exitCode: number;
    artifacts: { name: string; path: string; bytes: number }[];
  };
  assert.equal(outcome.state, 'completed');
  assert.equal(outcome.exitCode, 0);
  assert.match(ran.stderr, /^done$/m, 'the log went to stderr');
  assert.deepEqual(
    outcome.artifacts.map((a) => [a.name, a.path, a.bytes]),
    [['public/dist/app.txt', join(out, 'run', 'dist', 'app.txt'), 6]],
  );
  const downloaded = await harness.run([
    'task',
    'artifacts',
    outcome.taskId,
    '--download',
    join(out, 'artifacts'),
  ]);
  assert.equal(downloaded.code, 0, downloaded.stderr);
  // The same layout: the name without public/, below the chosen directory.
  assert.equal(await readFile(join(out, 'artifacts', 'dist', 'app.txt'), 'utf8'), 'built\n');
  assert.match(downloaded.stderr, /\(\d+\/\d+\)/, 'progress says how many of how many');
});

test('task run exits as soon as its task is canceled, without waiting for the command', async () => {
  let canceled = false;
  const ran = await harness.run(
    ['task', 'run', '--queue', pool.taskQueueId, '--', 'sh', '-c', 'echo started; sleep 600'],
    {
      onOutput: (stdout, stderr) => {
        if (canceled || !/^started$/m.test(stdout)) return;
        canceled = true;
        void queue().cancelTask(taskIdOf(stderr));
      },
    },
  );
  // The command would sleep ten minutes; following ends with the cancellation.
  assert.equal(ran.code, 8, ran.stderr);
  assert.match(ran.stderr, /exception \(canceled\)/);
});

test('task run exits once the deadline has passed, saying so, without waiting for the queue', async () => {
  const ran = await harness.run([
    'task',
    'run',
    '--queue',
    pool.taskQueueId,
    '--deadline',
    '8 seconds',
    '--max-run-time',
    '55',
    '--',
    'sleep',
    '55',
  ]);
  assert.equal(ran.code, 8, ran.stderr);
  assert.match(ran.stderr, /passed its deadline/);
});

test('Ctrl-C on task run stops following, says how to follow or cancel, and offers to cancel', async () => {
  let interrupted = false;
  let answered = false;
  const shown = await runInTerminal(
    ['task', 'run', '--queue', pool.taskQueueId, '--', 'sh', '-c', 'echo started; sleep 600'],
    {
      rootUrl: harness.platform.rootUrl,
      configHome: harness.configHome,
      credentials: harness.root,
      onOutput: (output, type) => {
        if (!interrupted && /^started\r?$/m.test(output)) {
          interrupted = true;
          type('\x03');
        }
        if (!answered && /Cancel task [A-Za-z0-9_-]{22} now\? \[y\/N\]/.test(output)) {
          answered = true;
          type('y\r');
        }
      },
    },
  );
  assert.equal(shown.code, 130, shown.stdout);
  assert.match(shown.stdout, /stopped following task ([A-Za-z0-9_-]{22}); it goes on/);
  assert.match(shown.stdout, /bulwark task log [A-Za-z0-9_-]{22}/);
  assert.match(shown.stdout, /bulwark task cancel [A-Za-z0-9_-]{22}/);
  assert.match(shown.stdout, /task [A-Za-z0-9_-]{22} canceled/);
  const taskId = taskIdOf(shown.stdout);
  const { status } = await queue().status(taskId);
  assert.equal(status.state, 'exception');
  assert.equal(status.runs[0].reasonResolved, 'canceled');
});

test('task watch --json: one JSON object per line, each with the time of its event', async () => {
  const created = await harness.run(['task', 'create'], {
    stdin: `taskQueueId: ${pool.taskQueueId}\npayload: {command: [sh, -c, 'exit 0']}\n`,
  });
  const taskId = created.stdout.trim();
  const watched = await harness.run(['task', 'watch', taskId, '--json']);
  assert.equal(watched.code, 0, watched.stderr);
  const events = watched.stdout
    .trim()
    .split('\n')
    .map(
      (line) =>
        JSON.parse(line) as {
          event: string;
          time: string;
          status: { runs: { resolved?: string; started?: string }[] };
        },
    );
  const taskEvents = events.filter((e) => e.event.startsWith('task-'));
  assert.deepEqual(
    taskEvents.map((e) => e.event),
    ['task-defined', 'task-pending', 'task-running', 'task-completed'],
  );
  const completed = taskEvents.at(-1)!;
  assert.equal(completed.time, completed.status.runs[0]!.resolved, 'the event’s own time');
  const running = taskEvents[2]!;
  assert.equal(running.time, running.status.runs[0]!.started);
});
