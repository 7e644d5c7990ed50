import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { resolveExpiredClaims } from '@bulwark/queue-service';
import {
  newTaskId,
  queueClient,
  startTestPlatform,
  taskDefinition,
  type TestPlatform,
} from './harness.js';
import { claimOne, CREATOR_SCOPES, createQuorumTask, QUEUE, worker } from './quorum-helpers.js';
import { TestClock } from './test-clock.js';

/** Seconds a claim lasts here; claims run out when the test advances the queue's clock. */
const CLAIM_SECONDS = 20;
const clock = new TestClock('frozen');

let platform: TestPlatform;
let creator: any;

before(async () => {
  platform = await startTestPlatform({
    claimTimeoutSeconds: CLAIM_SECONDS,
    claimWorkTimeoutMs: 300,
    now: clock.now,
  });
  creator = queueClient(platform, CREATOR_SCOPES);
});
after(() => platform.close());

/** Advances the queue's clock by `seconds`, then runs a claim-expiry pass. */
async function passSeconds(seconds: number): Promise<void> {
  clock.advance(seconds * 1000);
  await resolveExpiredClaims(platform.queue.context);
}

/** Bounded: the platform's own background pass may hold a task's lock when the test's runs. */
async function waitForStatus(taskId: string, predicate: (status: any) => boolean): Promise<any> {
  for (let i = 0; i < 100; i++) {
    const { status } = await creator.status(taskId);
    if (predicate(status)) return status;
    await sleep(100);
  }
  throw new Error(`task ${taskId} never reached the awaited state`);
}

test('S3: a replica whose claim expires is resolved claim-expired and runs again as the same replica', async () => {
  const taskId = await createQuorumTask(creator, { replicas: 2 }, { retries: 1 });
  const a = await claimOne(platform, worker(platform, 'g', 'a'), taskId);
  const b = await claimOne(platform, worker(platform, 'g', 'b'), taskId);
  // Replica 1 keeps its claim; replica 0's worker goes silent past its claim.
  await passSeconds(CLAIM_SECONDS / 2);
  await b.run.reclaimTask(taskId, b.runId);
  await passSeconds(CLAIM_SECONDS / 2 + 2);
  const status = await waitForStatus(taskId, (s) => s.runs.length === 3);
  assert.deepEqual(
    status.runs.map((r: any) => [r.runId, r.replica, r.state, r.reasonResolved ?? null]),
    [
      [0, 0, 'exception', 'claim-expired'],
      [1, 1, 'running', null],
      [2, 0, 'pending', null],
    ],
  );
  assert.equal(status.state, 'running');
  assert.equal(status.retriesLeft, 0);
  // The expired run's credentials died with it (S3).
  await assert.rejects(a.run.reclaimTask(taskId, a.runId), { statusCode: 401 });
  // Out of retries, a second expiry ends the quorum: the task resolves exception.
  await claimOne(platform, worker(platform, 'g', 'c'), taskId);
  await b.run.reclaimTask(taskId, b.runId);
  await passSeconds(CLAIM_SECONDS / 2);
  await b.run.reclaimTask(taskId, b.runId);
  await passSeconds(CLAIM_SECONDS / 2 + 2);
  const ended = await waitForStatus(taskId, (s) => s.quorum.decided);
  assert.equal(ended.state, 'exception');
  assert.equal(ended.quorum.reason, 'replica-failed');
  assert.match(ended.quorum.message, /replica 0 \(run 2 on g\/c\) ended exception\/claim-expired/);
  assert.equal(ended.runs[1].reasonResolved, 'canceled');
});

test('a task created depending on a decided quorum task is scheduled by its decision', async () => {
  const taskId = await createQuorumTask(creator, { replicas: 2 });
  for (const id of ['a2', 'b2']) {
    const run = await claimOne(platform, worker(platform, 'g', id), taskId);
    await run.run.reportCompleted(taskId, run.runId);
  }
  assert.equal((await creator.status(taskId)).status.state, 'completed');
  const dependent = newTaskId();
  const { status } = await creator.createTask(
    dependent,
    taskDefinition({ taskQueueId: QUEUE, dependencies: [taskId] }),
  );
  assert.equal(status.state, 'pending');
  await creator.cancelTask(dependent);
});
