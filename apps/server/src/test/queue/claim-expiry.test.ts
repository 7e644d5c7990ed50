import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { resolveExpiredClaims } from '@bulwark/queue-service';
import {
  CREATE_SCOPES,
  WORKER_SCOPES,
  newTaskId,
  queueClient,
  queueWith,
  startTestPlatform,
  taskDefinition,
  type TestPlatform,
} from './harness.js';
import { TestClock } from './test-clock.js';

/** Seconds a claim lasts here; the tests pass it by advancing the queue's clock. */
const CLAIM_SECONDS = 20;
/** The queue's clock: claims expire when a test advances it, never by the machine being slow. */
const clock = new TestClock('frozen');

let platform: TestPlatform;
let creator: any;
let worker: any;

before(async () => {
  platform = await startTestPlatform({
    claimTimeoutSeconds: CLAIM_SECONDS,
    claimWorkTimeoutMs: 1000,
    now: clock.now,
  });
  creator = queueClient(platform, [...CREATE_SCOPES, 'queue:status:*']);
  worker = queueClient(platform, WORKER_SCOPES);
});
after(() => platform.close());

const claim = async (): Promise<any> => {
  const { tasks } = await worker.claimWork('test-prov/test-worker', {
    workerGroup: 'test-group',
    workerId: 'worker-1',
  });
  assert.equal(tasks.length, 1);
  return tasks[0];
};

/** Past every claim made so far (takenUntil is rounded up to a whole second). */
function expireClaims(): void {
  clock.advance((CLAIM_SECONDS + 1) * 1000);
}

/**
 * Waits, boundedly, for a state the resolver brings about: the test runs a pass itself,
 * but the platform's own background pass may hold a task's lock at that moment.
 */
async function waitForState(taskId: string, predicate: (status: any) => boolean): Promise<any> {
  for (let i = 0; i < 100; i++) {
    const { status } = await creator.status(taskId);
    if (predicate(status)) return status;
    await sleep(100);
  }
  throw new Error(`task ${taskId} never reached the expected state`);
}

test('an expired claim is resolved claim-expired and the task retried', async () => {
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition({ retries: 1 }));
  const first = await claim();
  expireClaims();
  await resolveExpiredClaims(platform.queue.context);
  const status = await waitForState(taskId, (s) => s.runs.length === 2);
  assert.equal(status.runs[0].state, 'exception');
  assert.equal(status.runs[0].reasonResolved, 'claim-expired');
  assert.equal(status.runs[1].state, 'pending');
  assert.equal(status.runs[1].reasonCreated, 'retry');
  assert.equal(status.retriesLeft, 0);
  // S3: the expired run's credentials are dead, even before their certificate expires.
  await assert.rejects(queueWith(platform, first.credentials).reportCompleted(taskId, 0), {
    statusCode: 401,
  });

  // The retry expires too; with no retries left the task stays resolved.
  await claim();
  expireClaims();
  await resolveExpiredClaims(platform.queue.context);
  const final = await waitForState(taskId, (s) => s.runs[1].state === 'exception');
  assert.equal(final.state, 'exception');
  assert.equal(final.runs.length, 2);
});

test('reclaiming keeps a claim alive past its first takenUntil', async () => {
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition());
  const claimed = await claim();
  let credentials = claimed.credentials;
  for (let i = 0; i < 3; i++) {
    clock.advance((CLAIM_SECONDS / 2) * 1000);
    credentials = (await queueWith(platform, credentials).reclaimTask(taskId, 0)).credentials;
  }
  assert.ok(clock.now() > new Date(claimed.takenUntil), 'the first claim has run out');
  await resolveExpiredClaims(platform.queue.context);
  const { status } = await creator.status(taskId);
  assert.equal(status.state, 'running');
  assert.equal(status.runs.length, 1);
  await queueWith(platform, credentials).reportCompleted(taskId, 0);
});

test('the claim-expiry resolver is safe to run concurrently (every replica at once)', async () => {
  const taskIds = Array.from({ length: 6 }, newTaskId);
  for (const id of taskIds) await creator.createTask(id, taskDefinition({ retries: 3 }));
  const { tasks } = await worker.claimWork('test-prov/test-worker', {
    workerGroup: 'test-group',
    workerId: 'worker-1',
    tasks: 6,
  });
  assert.equal(tasks.length, 6);
  expireClaims();
  // Four passes at once, and the platform's own background pass beside them.
  await Promise.all(Array.from({ length: 4 }, () => resolveExpiredClaims(platform.queue.context)));
  for (const id of taskIds) {
    const status = await waitForState(id, (s) => s.runs.length >= 2);
    assert.equal(status.runs.length, 2, 'exactly one retry per expired run');
    assert.equal(status.retriesLeft, 2);
  }
});
