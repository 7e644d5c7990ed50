import { chainAllPendingAudit } from '@bulwark/db';
import { strict as assert } from 'node:assert';
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
  platform = await startTestPlatform();
  creator = queueClient(platform, [...CREATE_SCOPES, 'queue:get-task:*', 'queue:status:*']);
  worker = queueClient(platform, WORKER_SCOPES);
});
after(() => platform.close());

const claimOne = async (): Promise<any> => {
  const { tasks } = await worker.claimWork('test-prov/test-worker', {
    workerGroup: 'test-group',
    workerId: 'worker-1',
    tasks: 1,
  });
  assert.equal(tasks.length, 1);
  return tasks[0];
};

test('create, claim, reclaim and complete a task through taskcluster-client', async () => {
  const taskId = newTaskId();
  const created = await creator.createTask(taskId, taskDefinition({ tags: { kind: 'test' } }));
  assert.equal(created.status.state, 'pending');
  assert.equal(created.status.runs[0].reasonCreated, 'scheduled');

  const definition = await creator.task(taskId);
  assert.equal(definition.priority, 'lowest');
  assert.equal(definition.schedulerId, '-');
  assert.equal(definition.taskGroupId, taskId);
  assert.equal(definition.retries, 5);

  const claim = await claimOne();
  assert.equal(claim.status.taskId, taskId);
  assert.equal(claim.status.state, 'running');
  assert.equal(claim.task.metadata.name, 'test task');
  const until = Math.floor(new Date(claim.takenUntil).getTime() / 1000);
  assert.equal(
    claim.credentials.clientId,
    `task-client/${taskId}/0/on/test-group/worker-1/until/${until}`,
  );
  // takenUntil is rounded up to a whole second on claim.
  assert.equal(new Date(claim.takenUntil).getMilliseconds(), 0);

  const asRun = queueWith(platform, claim.credentials);
  const reclaimed = await asRun.reclaimTask(taskId, 0);
  assert.equal(reclaimed.status.state, 'running');
  assert.ok(new Date(reclaimed.takenUntil) >= new Date(claim.takenUntil));
  const asRenewed = queueWith(platform, reclaimed.credentials);

  const completed = await asRenewed.reportCompleted(taskId, 0);
  assert.equal(completed.status.state, 'completed');
  assert.equal(completed.status.runs[0].reasonResolved, 'completed');

  const status = await creator.status(taskId);
  assert.equal(status.status.state, 'completed');
});

test('S3: run credentials are rejected the moment their run resolves', async () => {
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition());
  const claim = await claimOne();
  const asRun = queueWith(platform, claim.credentials);
  await asRun.reportFailed(taskId, 0);
  await assert.rejects(asRun.reclaimTask(taskId, 0), {
    statusCode: 401,
    code: 'AuthenticationFailed',
  });
  await assert.rejects(asRun.reportCompleted(taskId, 0), { statusCode: 401 });
});

test('S3: run credentials cover the task scopes and only their own run', async () => {
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition());
  const claim = await claimOne();
  const scopes = JSON.parse(claim.credentials.certificate).scopes as string[];
  assert.deepEqual(scopes.sort(), [
    `queue:create-artifact:${taskId}/0`,
    `queue:create-worker-log:${taskId}/0`,
    `queue:reclaim-task:${taskId}/0`,
    `queue:resolve-task:${taskId}/0`,
  ]);
  const expiry = JSON.parse(claim.credentials.certificate).expiry as number;
  assert.equal(expiry, new Date(claim.takenUntil).getTime());
  await queueWith(platform, claim.credentials).reportCompleted(taskId, 0);
});

test('reporting the same resolution twice succeeds; a different one conflicts', async () => {
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition());
  await claimOne();
  // The root client may resolve any run; the run's own credentials die at resolution.
  const admin = queueWith(platform, platform.root);
  await admin.reportCompleted(taskId, 0);
  const again = await admin.reportCompleted(taskId, 0);
  assert.equal(again.status.state, 'completed');
  await assert.rejects(admin.reportFailed(taskId, 0), { statusCode: 409 });
  await assert.rejects(admin.reclaimTask(taskId, 0), { statusCode: 409 });
  await assert.rejects(admin.reportCompleted(taskId, 1), { statusCode: 404 });
});

test('worker-shutdown and intermittent-task retry; other exceptions do not', async () => {
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition({ retries: 1 }));
  const admin = queueWith(platform, platform.root);
  await claimOne();
  const first = await admin.reportException(taskId, 0, { reason: 'worker-shutdown' });
  assert.equal(first.status.state, 'pending');
  assert.equal(first.status.retriesLeft, 0);
  assert.equal(first.status.runs[1].reasonCreated, 'retry');
  await claimOne();
  const second = await admin.reportException(taskId, 1, { reason: 'intermittent-task' });
  // No retries left: the task stays resolved.
  assert.equal(second.status.state, 'exception');
  assert.equal(second.status.runs.length, 2);

  const other = newTaskId();
  await creator.createTask(other, taskDefinition());
  await claimOne();
  const malformed = await admin.reportException(other, 0, { reason: 'malformed-payload' });
  assert.equal(malformed.status.state, 'exception');
  assert.equal(malformed.status.runs.length, 1);
});

test('claimWork hands out higher priorities first, then older tasks first', async () => {
  const creatorAll = queueClient(platform, [
    'queue:create-task:*',
    'queue:scheduler-id:-',
    'queue:status:*',
  ]);
  const low1 = newTaskId();
  const low2 = newTaskId();
  const high = newTaskId();
  await creatorAll.createTask(low1, taskDefinition({ priority: 'low' }));
  await creatorAll.createTask(low2, taskDefinition({ priority: 'low' }));
  await creatorAll.createTask(high, taskDefinition({ priority: 'high' }));
  const { tasks } = await worker.claimWork('test-prov/test-worker', {
    workerGroup: 'test-group',
    workerId: 'worker-1',
    tasks: 3,
  });
  assert.deepEqual(
    tasks.map((t: any) => t.status.taskId),
    [high, low1, low2],
  );
  const admin = queueWith(platform, platform.root);
  for (const t of tasks) await admin.reportCompleted(t.status.taskId, 0);
});

test('re-creating a task with the same definition is idempotent; a different one conflicts', async () => {
  const taskId = newTaskId();
  const definition = taskDefinition({ payload: { b: 1, a: [1, 2] } });
  await creator.createTask(taskId, definition);
  const again = await creator.createTask(taskId, { ...definition, payload: { a: [1, 2], b: 1 } });
  assert.equal(again.status.taskId, taskId);
  await assert.rejects(creator.createTask(taskId, { ...definition, payload: { b: 2 } }), {
    statusCode: 409,
    code: 'RequestConflict',
  });
  await claimOne().then((c) => queueWith(platform, c.credentials).reportCompleted(taskId, 0));
});

test('S14: creation, claim and resolution are in the audit log', async () => {
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition());
  const claim = await claimOne();
  await queueWith(platform, claim.credentials).reportCompleted(taskId, 0);
  await chainAllPendingAudit(platform.db.pool);
  const { rows } = await platform.db.pool.query<{ action: string; details: any }>(
    `SELECT action, details FROM audit_log WHERE entity_type = 'task' AND entity_id = $1 ORDER BY seq`,
    [taskId],
  );
  assert.deepEqual(
    rows.map((r) => r.action),
    ['created', 'claimed', 'resolved'],
  );
  // The claim and resolution statements write these details themselves.
  assert.deepEqual(rows[1]?.details, {
    runId: 0,
    workerGroup: 'test-group',
    workerId: 'worker-1',
    takenUntil: claim.takenUntil,
  });
  assert.deepEqual(rows[2]?.details, {
    runId: 0,
    state: 'completed',
    reason: 'completed',
    retried: false,
  });
  assert.equal(rows[0]?.details.taskQueueId, 'test-prov/test-worker');
  // S1: no credential material in the audit trail.
  assert.ok(!JSON.stringify(rows).includes(claim.credentials.accessToken));
});
