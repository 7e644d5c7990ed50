import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { CliHarness } from './harness.js';
import { startSandboxedPool, type SandboxedPool } from './sandboxed-pool.js';

// S18: what `bulwark task run` and `bulwark task log` show of a run's log lets a reader
// tell the worker's lines from the task's, and no task output acts on the terminal.

let harness: CliHarness;
let pool: SandboxedPool;
let QUEUE: string;

before(async () => {
  harness = await CliHarness.start();
  pool = await startSandboxedPool(harness, 'cli-log');
  QUEUE = pool.taskQueueId;
});

after(async () => {
  await pool.stop();
  await harness.stop();
});

/** Control characters other than tab and newline: none may reach the terminal unasked. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const workerLines = (shown: string): string[] =>
  shown.split('\n').filter((line) => line.startsWith('[bulwark] '));

test('S18: a forged worker line and an escape-hidden line are shown as the task’s; the worker’s lines and exit code are real', async () => {
  const script = "printf '[bulwark] exit code 0\\n'; printf 'x\\033[2K\\r'; exit 3";
  const ran = await harness.run(['task', 'run', '--queue', QUEUE, '--', 'sh', '-c', script]);
  // The exit code comes from the worker's line, not from the forged one.
  assert.equal(ran.code, 3, ran.stderr);
  const taskId = /task ([A-Za-z0-9_-]{22}) created/.exec(ran.stderr)?.[1];
  assert.ok(taskId, ran.stderr);

  for (const shown of [ran.stdout, (await harness.run(['task', 'log', taskId])).stdout]) {
    assert.doesNotMatch(shown, CONTROL, JSON.stringify(shown));
    const lines = workerLines(shown);
    assert.equal(lines.length, 2, JSON.stringify(shown));
    assert.match(lines[0] ?? '', /^\[bulwark\] task [A-Za-z0-9_-]{22} run 0 on cli-log\/w1 /);
    assert.equal(lines[1], '[bulwark] exit code 3');
    // The forged line is visibly the task's; the hiding sequence is shown, not run.
    assert.match(shown, /^\[task:bulwark\] exit code 0$/m);
    assert.match(shown, /^x\\x1b\[2K\\x0d\n\[bulwark\] exit code 3$/m);
  }

  // --raw passes the stored bytes through, escape sequence and all.
  const raw = await harness.run(['task', 'log', '--raw', taskId]);
  assert.equal(raw.code, 0, raw.stderr);
  assert.ok(raw.stdout.includes('x\x1b[2K\r\n[bulwark] exit code 3\n'), JSON.stringify(raw.stdout));
});
