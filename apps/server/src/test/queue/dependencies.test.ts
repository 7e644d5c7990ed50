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

const QUEUE = 'test-prov/deps';
const create = (taskId: string, overrides: Record<string, unknown> = {}): Promise<any> =>
  admin.createTask(taskId, taskDefinition({ taskQueueId: QUEUE, ...overrides }));
const state = async (taskId: string): Promise<string> => (await admin.status(taskId)).status.state;

/** Claims the given task (it must be the only pending one) and returns its runId. */
async function claimTask(taskId: string): Promise<number> {
  const { tasks } = await admin.claimWork(QUEUE, { workerGroup: 'g', workerId: 'w', tasks: 32 });
  assert.deepEqual(
    tasks.map((t: any) => t.status.taskId),
    [taskId],
  );
  return tasks[0].runId;
}

test('a dependent becomes pending as its dependency completes, in the same request', async () => {
  const a = newTaskId();
  const b = newTaskId();
  await create(a);
  assert.equal((await create(b, { dependencies: [a] })).status.state, 'unscheduled');
  await admin.reportCompleted(a, await claimTask(a));
  assert.equal(await state(b), 'pending');
  await admin.reportCompleted(b, await claimTask(b));
});

test('all-completed waits past a failure; all-resolved does not', async () => {
  const a = newTaskId();
  const strict = newTaskId();
  const lenient = newTaskId();
  await create(a);
  await create(strict, { dependencies: [a] });
  await create(lenient, { dependencies: [a], requires: 'all-resolved' });
  await admin.reportFailed(a, await claimTask(a));
  assert.equal(await state(strict), 'unscheduled');
  assert.equal(await state(lenient), 'pending');
  await admin.reportCompleted(lenient, await claimTask(lenient));
});

test('a task depending on completed tasks is pending at creation', async () => {
  const a = newTaskId();
  await create(a);
  await admin.reportCompleted(a, await claimTask(a));
  const b = newTaskId();
  assert.equal((await create(b, { dependencies: [a] })).status.state, 'pending');
  await admin.reportCompleted(b, await claimTask(b));
});

test('a task depending on itself stays unscheduled until scheduled', async () => {
  const a = newTaskId();
  assert.equal((await create(a, { dependencies: [a] })).status.state, 'unscheduled');
  assert.equal((await admin.scheduleTask(a)).status.state, 'pending');
  await admin.reportCompleted(a, await claimTask(a));
});

test('dependencies resolving at the same moment schedule the dependent exactly once', async () => {
  const required = Array.from({ length: 8 }, newTaskId);
  for (const id of required) await create(id);
  const dependent = newTaskId();
  await create(dependent, { dependencies: required });
  const { tasks } = await admin.claimWork(QUEUE, { workerGroup: 'g', workerId: 'w', tasks: 32 });
  assert.equal(tasks.length, required.length);
  await Promise.all(tasks.map((t: any) => admin.reportCompleted(t.status.taskId, t.runId)));
  const { status } = await admin.status(dependent);
  assert.equal(status.state, 'pending');
  assert.equal(status.runs.length, 1);
  await admin.reportCompleted(dependent, await claimTask(dependent));
});
