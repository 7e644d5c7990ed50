import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
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
