import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import {
  newTaskId,
  queueWith,
  startTestPlatform,
  taskDefinition,
  type TestPlatform,
} from './harness.js';

let platform: TestPlatform;
let admin: any;

before(async () => {
  platform = await startTestPlatform({ claimWorkTimeoutMs: 500 });
  admin = queueWith(platform, platform.root);
});
after(() => platform.close());

const hour = 60 * 60 * 1000;
const rejects = (definition: Record<string, unknown>, code: string): Promise<void> =>
  assert.rejects(admin.createTask(newTaskId(), definition), (err: any) => {
    assert.equal(err.code, code, `${JSON.stringify(definition)}: ${err.message}`);
    return true;
  });

test('S10: createTask enforces the reference limits', async () => {
  const now = Date.now();
  await rejects(taskDefinition({ created: new Date(now - hour).toJSON() }), 'InputError');
  await rejects(taskDefinition({ deadline: new Date(now - 1000).toJSON() }), 'InputError');
  await rejects(taskDefinition({ deadline: new Date(now + 6 * 24 * hour).toJSON() }), 'InputError');
  await rejects(taskDefinition({ expires: new Date(now + 1000).toJSON() }), 'InputError');
  await rejects(taskDefinition({ retries: 50 }), 'InputValidationError');
  await rejects(taskDefinition({ priority: 'normal' }), 'InputValidationError');
  await rejects(
    taskDefinition({ routes: Array.from({ length: 65 }, (_, i) => `r${i}`) }),
    'InputValidationError',
  );
  await rejects(taskDefinition({ routes: ['a', 'a'] }), 'InputValidationError');
  await rejects(taskDefinition({ routes: ['x'.repeat(250)] }), 'InputValidationError');
  await rejects(taskDefinition({ schedulerId: 'x'.repeat(39) }), 'InputValidationError');
  await rejects(taskDefinition({ taskQueueId: 'BAD/Type' }), 'InputValidationError');
  await rejects(taskDefinition({ taskQueueId: undefined, provisionerId: 'p' }), 'InputError');
  await rejects(
    taskDefinition({ provisionerId: 'other', workerType: 'test-worker' }),
    'InputError',
  );
  await rejects(taskDefinition({ tags: { k: 'v'.repeat(4097) } }), 'InputValidationError');
  await rejects(
    taskDefinition({ metadata: { name: 'n', description: 'd', owner: 'o', source: 'ftp://x' } }),
    'InputValidationError',
  );
  await rejects(taskDefinition({ surprise: true }), 'InputValidationError');
  await rejects(taskDefinition({ dependencies: [newTaskId()] }), 'InputError');
  await rejects(taskDefinition({ scopes: ['bad\nscope'] }), 'InputValidationError');
});

test('legacy provisionerId/workerType are accepted and agree with taskQueueId', async () => {
  const taskId = newTaskId();
  const definition = {
    ...taskDefinition(),
    provisionerId: 'legacy-prov',
    workerType: 'legacy-type',
  };
  delete (definition as Record<string, unknown>).taskQueueId;
  await admin.createTask(taskId, definition);
  const task = await admin.task(taskId);
  assert.equal(task.taskQueueId, 'legacy-prov/legacy-type');
  assert.equal(task.provisionerId, 'legacy-prov');
});

test('all tasks of a group share its schedulerId', async () => {
  const group = newTaskId();
  await admin.createTask(newTaskId(), taskDefinition({ taskGroupId: group, schedulerId: 'one' }));
  await assert.rejects(
    admin.createTask(newTaskId(), taskDefinition({ taskGroupId: group, schedulerId: 'two' })),
    { statusCode: 409 },
  );
});

test('a task whose dependencies are not yet complete stays unscheduled', async () => {
  const required = newTaskId();
  await admin.createTask(required, taskDefinition({ taskQueueId: 'test-prov/deps' }));
  const dependent = newTaskId();
  const { status } = await admin.createTask(
    dependent,
    taskDefinition({ taskQueueId: 'test-prov/deps', dependencies: [required] }),
  );
  assert.equal(status.state, 'unscheduled');
  assert.deepEqual(status.runs, []);
});

test('bad route arguments and run ids are 4xx', async () => {
  await assert.rejects(admin.task('not-a-slug'), { statusCode: 400 });
  await assert.rejects(admin.status(newTaskId()), { statusCode: 404 });
  await assert.rejects(admin.reclaimTask(newTaskId(), 1001), { statusCode: 404 });
  await assert.rejects(admin.reclaimTask(newTaskId(), 'x'), { statusCode: 400 });
  await assert.rejects(
    admin.claimWork('test-prov/test-worker', { workerGroup: 'g', workerId: 'w', tasks: 33 }),
    { statusCode: 400 },
  );
  await assert.rejects(admin.claimWork('no-slash', { workerGroup: 'g', workerId: 'w' }), {
    statusCode: 400,
  });
  await assert.rejects(admin.reportException(newTaskId(), 0, { reason: 'bored' }), {
    statusCode: 400,
  });
});
