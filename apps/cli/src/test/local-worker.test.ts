import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { LocalWorker } from '../commands/local-worker.js';

interface Logged {
  readonly level: 'info' | 'warn';
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

function recorder(): {
  logged: Logged[];
  logger: ConstructorParameters<typeof LocalWorker>[0]['logger'];
} {
  const logged: Logged[] = [];
  return {
    logged,
    logger: {
      info: (obj, msg) => logged.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
      warn: (obj, msg) => logged.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    },
  };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await sleep(10);
  assert.ok(condition(), 'the condition came true in time');
}

// S19: a crashed worker is restarted, with a back-off that doubles up to its cap.
test('S19: a worker that keeps crashing is restarted with a doubling, capped delay, each restart logged', async () => {
  const { logged, logger } = recorder();
  const worker = new LocalWorker({
    argv: ['/bin/sh', '-c', 'exit 3'],
    logger,
    initialDelayMs: 5,
    maxDelayMs: 20,
    stableAfterMs: 60_000,
  });
  worker.start();
  const restarts = (): Logged[] => logged.filter((l) => l.level === 'warn');
  await until(() => restarts().length >= 5);
  await worker.stop();
  const delays = restarts()
    .slice(0, 5)
    .map((l) => l.obj.restartInMs);
  assert.deepEqual(delays, [5, 10, 20, 20, 20]);
  assert.deepEqual(
    restarts()
      .slice(0, 3)
      .map((l) => [l.obj.code, l.obj.restarts, l.msg]),
    [
      [3, 1, 'the local worker stopped; restarting it'],
      [3, 2, 'the local worker stopped; restarting it'],
      [3, 3, 'the local worker stopped; restarting it'],
    ],
  );
  // Stopped means stopped: no restart is pending any more.
  const count = logged.length;
  await sleep(100);
  assert.equal(logged.length, count);
});

test('a worker that ran long enough before crashing restarts after the initial delay again', async () => {
  const { logged, logger } = recorder();
  const worker = new LocalWorker({
    argv: ['/bin/sh', '-c', 'exit 1'],
    logger,
    initialDelayMs: 5,
    maxDelayMs: 1000,
    stableAfterMs: 0,
  });
  worker.start();
  await until(() => logged.filter((l) => l.level === 'warn').length >= 3);
  await worker.stop();
  const delays = logged.filter((l) => l.level === 'warn').map((l) => l.obj.restartInMs);
  assert.deepEqual(delays.slice(0, 3), [5, 5, 5]);
});

test('stop() ends a running worker with SIGTERM and waits for it', async () => {
  const { logged, logger } = recorder();
  const worker = new LocalWorker({
    argv: ['/bin/sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.05; done'],
    logger,
  });
  worker.start();
  const pid = worker.pid;
  assert.ok(pid !== undefined);
  await sleep(100);
  await worker.stop();
  assert.equal(worker.pid, undefined);
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  assert.equal(logged.filter((l) => l.level === 'warn').length, 0, 'a stop is not a crash');
});

/** The state letter and session of `pid` (Z: exited, not yet reaped), undefined when gone. */
async function processState(pid: number): Promise<{ state: string; session: number } | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', session: Number(fields[3]) };
}

test('the worker has a session of its own and stops when bulwark up is SIGKILLed', async () => {
  const module = pathToFileURL(
    join(dirname(fileURLToPath(import.meta.url)), '../commands/local-worker.js'),
  );
  const script = `
    const { LocalWorker } = await import(${JSON.stringify(module.href)});
    const logger = { info() {}, warn() {} };
    const worker = new LocalWorker({
      argv: ['/bin/sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.05; done'],
      logger,
    });
    worker.start();
    console.log(worker.pid);
    setInterval(() => undefined, 1000);
  `;
  const owner = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((done) => owner.once('exit', done));
  let workerPid: number | undefined;
  try {
    workerPid = await new Promise<number>((done, fail) => {
      let out = '';
      owner.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) done(Number(out.split('\n', 1)[0]));
      });
      owner.once('exit', (code) => fail(new Error(`the owner exited early (${String(code)})`)));
    });
    // Its own session: a Ctrl-C at the terminal of bulwark up never reaches it directly.
    assert.equal((await processState(workerPid))?.session, workerPid);
    owner.kill('SIGKILL');
    await exited;
    let state = await processState(workerPid);
    for (let i = 0; i < 300 && state !== undefined && state.state !== 'Z'; i++) {
      await sleep(20);
      state = await processState(workerPid);
    }
    assert.ok(state === undefined || state.state === 'Z', 'the worker stopped with its owner');
  } finally {
    if (owner.exitCode === null && owner.signalCode === null) owner.kill('SIGKILL');
    await exited;
    const state = workerPid === undefined ? undefined : await processState(workerPid);
    if (workerPid !== undefined && state !== undefined && state.state !== 'Z') {
      process.kill(workerPid, 'SIGKILL');
    }
  }
});
