import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
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

let platform: TestPlatform;
let creator: any;
let worker: any;

before(async () => {
  platform = await startTestPlatform({ claimTimeoutSeconds: 2, claimWorkTimeoutMs: 1000 });
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
  const final = await waitForState(taskId, (s) => s.runs[1].state === 'exception');
  assert.equal(final.state, 'exception');
  assert.equal(final.runs.length, 2);
});

test('reclaiming keeps a claim alive past its first takenUntil', async () => {
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition());
  let credentials = (await claim()).credentials;
  for (let i = 0; i < 3; i++) {
    await sleep(1000);
    credentials = (await queueWith(platform, credentials).reclaimTask(taskId, 0)).credentials;
  }
  const { status } = await creator.status(taskId);
  assert.equal(status.state, 'running');
  await queueWith(platform, credentials).reportCompleted(taskId, 0);
});

test('the claim-expiry resolver is safe to run concurrently (every replica at once)', async () => {
  const { resolveExpiredClaims } = await import('@bulwark/queue-service');
  const taskIds = Array.from({ length: 6 }, newTaskId);
  for (const id of taskIds) await creator.createTask(id, taskDefinition({ retries: 3 }));
  // Expire the claims by hand so no background pass can beat the concurrent ones.
  const { tasks } = await worker.claimWork('test-prov/test-worker', {
    workerGroup: 'test-group',
    workerId: 'worker-1',
    tasks: 6,
  });
  assert.equal(tasks.length, 6);
  await platform.db.pool.query(
    `UPDATE task_runs SET taken_until = now() - interval '1 hour' WHERE task_id = ANY($1)`,
    [taskIds],
  );
  await Promise.all(Array.from({ length: 4 }, () => resolveExpiredClaims(platform.queue.context)));
  await sleep(500);
  for (const id of taskIds) {
    const { status } = await creator.status(id);
    assert.equal(status.runs.length, 2, 'exactly one retry per expired run');
    assert.equal(status.retriesLeft, 2);
  }
});
