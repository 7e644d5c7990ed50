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
let admin: any;

before(async () => {
  platform = await startTestPlatform({
    claimWorkTimeoutMs: 500,
    deadlineDelayMs: 0,
    deadlineResolverIntervalMs: 100,
  });
  creator = queueClient(platform, [...CREATE_SCOPES, 'queue:status:*']);
  worker = queueClient(platform, WORKER_SCOPES);
  admin = queueWith(platform, platform.root);
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

test('scheduleTask makes an unscheduled task pending, with the scheduler’s scope', async () => {
  const required = newTaskId();
  await admin.createTask(required, taskDefinition({ taskQueueId: 'test-prov/parked' }));
  const taskId = newTaskId();
  const created = await creator.createTask(taskId, taskDefinition({ dependencies: [required] }));
  assert.equal(created.status.state, 'unscheduled');
  await assert.rejects(creator.scheduleTask(taskId), { statusCode: 403 });
  const scheduler = queueClient(platform, [`queue:schedule-task:-/${taskId}/${taskId}`]);
  const { status } = await scheduler.scheduleTask(taskId);
  assert.equal(status.state, 'pending');
  // Scheduling again changes nothing.
  const again = await scheduler.scheduleTask(taskId);
  assert.equal(again.status.runs.length, 1);
  await queueWith(platform, (await claim()).credentials).reportCompleted(taskId, 0);
});

test('S3: cancelTask resolves a running task and its run credentials die at once', async () => {
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition());
  const c = await claim();
  const canceler = queueClient(platform, ['queue:cancel-task-in-project:none']);
  const { status } = await canceler.cancelTask(taskId);
  assert.equal(status.state, 'exception');
  assert.equal(status.runs[0].reasonResolved, 'canceled');
  await assert.rejects(queueWith(platform, c.credentials).reclaimTask(taskId, 0), {
    statusCode: 401,
  });
  // Canceling a resolved task returns it unchanged.
  const again = await canceler.cancelTask(taskId);
  assert.equal(again.status.runs.length, 1);
});

test('cancelTask of an unscheduled task gives it one resolved run', async () => {
  const required = newTaskId();
  await admin.createTask(required, taskDefinition({ taskQueueId: 'test-prov/parked' }));
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition({ dependencies: [required] }));
  const { status } = await admin.cancelTask(taskId);
  assert.deepEqual(
    status.runs.map((r: any) => [r.state, r.reasonCreated, r.reasonResolved]),
    [['exception', 'exception', 'canceled']],
  );
});

test('rerunTask adds a run to a resolved task and resets its retries', async () => {
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition({ retries: 2 }));
  await admin.reportException(taskId, (await claim()).runId, { reason: 'worker-shutdown' });
  await queueWith(platform, (await claim()).credentials).reportFailed(taskId, 1);
  const rerunner = queueClient(platform, ['queue:rerun-task', 'assume:scheduler-id:-/*']);
  const { status } = await rerunner.rerunTask(taskId);
  assert.equal(status.state, 'pending');
  assert.equal(status.runs[2].reasonCreated, 'rerun');
  assert.equal(status.retriesLeft, 2);
  const again = await rerunner.rerunTask(taskId);
  assert.equal(again.status.runs.length, 3, 'a pending task is not rerun again');
  await queueWith(platform, (await claim()).credentials).reportCompleted(taskId, 2);
});

test('tasks past their deadline are resolved deadline-exceeded, then immutable', async () => {
  const soon = (): string => new Date(Date.now() + 1500).toJSON();
  const running = newTaskId();
  await creator.createTask(running, taskDefinition({ deadline: soon() }));
  const c = await claim();
  const pending = newTaskId();
  await admin.createTask(
    pending,
    taskDefinition({ deadline: soon(), taskQueueId: 'test-prov/idle' }),
  );
  const required = newTaskId();
  await admin.createTask(required, taskDefinition({ taskQueueId: 'test-prov/parked' }));
  const unscheduled = newTaskId();
  await creator.createTask(
    unscheduled,
    taskDefinition({ deadline: soon(), dependencies: [required] }),
  );

  for (const taskId of [running, pending]) {
    const status = await waitForState(taskId, (s) => s.state === 'exception');
    assert.equal(status.runs.at(-1).reasonResolved, 'deadline-exceeded');
    assert.equal(status.runs.length, 1);
  }
  const parked = await waitForState(unscheduled, (s) => s.state === 'exception');
  assert.deepEqual(
    parked.runs.map((r: any) => [r.reasonCreated, r.reasonResolved]),
    [['exception', 'deadline-exceeded']],
  );
  // S3: the running run's credentials died with it.
  await assert.rejects(queueWith(platform, c.credentials).reportCompleted(running, 0), {
    statusCode: 401,
  });
  await assert.rejects(admin.rerunTask(running), { statusCode: 409 });
  await assert.rejects(admin.scheduleTask(unscheduled), { statusCode: 409 });
});
