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
  platform = await startTestPlatform({ claimWorkTimeoutMs: 1000 });
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

test('S4: creating a task with scopes the creator lacks is refused', async () => {
  const taskId = newTaskId();
  await assert.rejects(
    creator.createTask(taskId, taskDefinition({ scopes: ['secrets:get:production'] })),
    { statusCode: 403, code: 'InsufficientScopes' },
  );
  await assert.rejects(creator.status(taskId), { statusCode: 404 });
});

test('S4: routes, project, scheduler and priority each need their scope', async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ routes: ['index.project.x'] }, 'queue:route:index.project.x'],
    [{ projectId: 'secret-project' }, 'queue:create-task:project:secret-project'],
    [{ schedulerId: 'other' }, 'queue:scheduler-id:other'],
    [{ priority: 'high' }, 'queue:create-task:high:test-prov/test-worker'],
    [{ taskQueueId: 'test-prov/other' }, 'queue:create-task:lowest:test-prov/other'],
  ];
  for (const [override, missing] of cases) {
    await assert.rejects(creator.createTask(newTaskId(), taskDefinition(override)), (err: any) => {
      assert.equal(err.statusCode, 403, JSON.stringify(override));
      assert.ok(JSON.stringify(err.body.unsatisfied).includes(missing), err.message);
      return true;
    });
  }
});

test('S4: a scope for a higher priority allows a lower one', async () => {
  const highCreator = queueClient(platform, [
    'queue:create-task:very-high:test-prov/test-worker',
    'queue:create-task:project:none',
    'queue:scheduler-id:-',
  ]);
  const taskId = newTaskId();
  await highCreator.createTask(taskId, taskDefinition({ priority: 'medium' }));
  await assert.rejects(
    highCreator.createTask(newTaskId(), taskDefinition({ priority: 'highest' })),
    {
      statusCode: 403,
    },
  );
  await queueWith(platform, (await claim()).credentials).reportCompleted(taskId, 0);
});

test('S4: task scopes ending in ** are refused even for the root client', async () => {
  const admin = queueWith(platform, platform.root);
  await assert.rejects(admin.createTask(newTaskId(), taskDefinition({ scopes: ['queue:**'] })), {
    statusCode: 400,
  });
});

test('S5: a worker without the pool’s claim-work scope gets 403', async () => {
  const outsider = queueClient(platform, ['queue:worker-id:test-group/worker-1']);
  await assert.rejects(
    outsider.claimWork('test-prov/test-worker', {
      workerGroup: 'test-group',
      workerId: 'worker-1',
    }),
    { statusCode: 403, code: 'InsufficientScopes' },
  );
  // Nor may a worker claim under another worker's identity.
  await assert.rejects(
    worker.claimWork('test-prov/test-worker', { workerGroup: 'test-group', workerId: 'worker-2' }),
    { statusCode: 403 },
  );
});

test('S5: run credentials of task A cannot reclaim or resolve task B', async () => {
  const taskA = newTaskId();
  const taskB = newTaskId();
  await creator.createTask(taskA, taskDefinition());
  await creator.createTask(taskB, taskDefinition());
  const claimA = await claim();
  const claimB = await claim();
  assert.equal(claimA.status.taskId, taskA);
  const asA = queueWith(platform, claimA.credentials);
  await assert.rejects(asA.reclaimTask(taskB, 0), { statusCode: 403 });
  await assert.rejects(asA.reportCompleted(taskB, 0), { statusCode: 403 });
  await assert.rejects(asA.reportException(taskB, 0, { reason: 'worker-shutdown' }), {
    statusCode: 403,
  });
  // Nor another run of its own task.
  await assert.rejects(asA.reportCompleted(taskA, 1), { statusCode: 403 });
  const statusB = await creator.status(taskB);
  assert.equal(statusB.status.state, 'running');
  await asA.reportCompleted(taskA, 0);
  await queueWith(platform, claimB.credentials).reportCompleted(taskB, 0);
});

test('S3: a forged run-credential name for a running run is still bound to that run', async () => {
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition());
  const real = await claim();
  // Credentials named like a run credential but for another worker are refused.
  const impostor = queueClient(
    platform,
    [`queue:resolve-task:${taskId}/0`],
    `task-client/${taskId}/0/on/test-group/worker-2/until/1`,
  );
  await assert.rejects(impostor.reportCompleted(taskId, 0), { statusCode: 401 });
  await queueWith(platform, real.credentials).reportCompleted(taskId, 0);
});

test('S1: run credentials never appear in the logs', async () => {
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition());
  const c = await claim();
  await queueWith(platform, c.credentials).reportCompleted(taskId, 0);
  const logs = platform.logLines.join('\n');
  assert.ok(!logs.includes(c.credentials.accessToken));
  assert.ok(!logs.includes(JSON.parse(c.credentials.certificate).signature));
});
