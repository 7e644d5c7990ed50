// test-tier: unit
import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { repeatJob } from './repeat-job.js';

const silent = { error: () => undefined };

test('a job that fills its batch runs again at once; never two runs together', async () => {
  let runs = 0;
  let active = 0;
  let overlapped = false;
  const stop = repeatJob(
    'batch',
    10,
    async () => {
      active += 1;
      overlapped ||= active > 1;
      runs += 1;
      await sleep(2);
      active -= 1;
      return runs < 5;
    },
    silent,
  );
  for (let i = 0; i < 500 && runs < 5; i++) await sleep(10);
  await stop();
  assert.ok(runs >= 5);
  assert.equal(overlapped, false);
});

test('stop waits for the run in progress, and nothing runs after it', async () => {
  let finished = false;
  let started = 0;
  const stop = repeatJob(
    'slow',
    5,
    async () => {
      started += 1;
      await sleep(50);
      finished = true;
    },
    silent,
  );
  for (let i = 0; i < 500 && started === 0; i++) await sleep(2);
  await stop();
  assert.equal(finished, true);
  const after = started;
  await sleep(30);
  assert.equal(started, after);
});

test('a failing job is logged with its name and tried again at the next interval', async () => {
  const logged: object[] = [];
  let calls = 0;
  const stop = repeatJob(
    'flaky',
    5,
    async () => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
    },
    { error: (fields) => logged.push(fields) },
  );
  for (let i = 0; i < 500 && calls < 2; i++) await sleep(10);
  await stop();
  assert.ok(calls >= 2);
  assert.equal((logged[0] as { job: string }).job, 'flaky');
});
