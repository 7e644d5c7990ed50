import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import {
  newTaskId,
  queueClient,
  queueWith,
  startTestPlatform,
  taskDefinition,
  type TestPlatform,
} from './harness.js';
import { priorityClient } from './priority-client.js';

let platform: TestPlatform;
let creator: any;
let admin: any;

before(async () => {
  platform = await startTestPlatform({ claimWorkTimeoutMs: 300 });
  creator = queueClient(platform, ['queue:create-task:*', 'queue:scheduler-id:-']);
  admin = queueWith(platform, platform.root);
});
after(() => platform.close());

/** Follows continuationToken until the last page, collecting `field` of each page. */
async function allPages<T>(
  call: (query: Record<string, string>) => Promise<any>,
  field: string,
  limit: number,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let token: string | undefined;
  for (let pages = 1; pages <= 100; pages++) {
    const query: Record<string, string> = { limit: String(limit) };
    if (token) query.continuationToken = token;
    const page = await call(query);
    assert.ok(page[field].length <= limit, 'a page never exceeds its limit');
    items.push(...page[field]);
    token = page.continuationToken;
    if (!token) return { items, pages };
  }
  throw new Error('pagination did not end');
}

test('tasks and statuses return the known tasks in taskId order, page by page', async () => {
  const ids = Array.from({ length: 5 }, newTaskId);
  await Promise.all(ids.map((id) => creator.createTask(id, taskDefinition())));
  const unknown = newTaskId();
  const reader = queueClient(platform, ['queue:get-task:*', 'queue:status:*']);
  const { items: tasks, pages } = await allPages<any>(
    (q) => reader.tasks({ taskIds: [...ids, unknown] }, q),
    'tasks',
    2,
  );
  assert.equal(pages, 3);
  assert.deepEqual(
    tasks.map((t) => t.taskId),
    [...ids].sort(),
  );
  assert.equal(tasks[0].task.taskQueueId, 'test-prov/test-worker');
  const { items: statuses } = await allPages<any>(
    (q) => reader.statuses({ taskIds: [...ids, unknown] }, q),
    'statuses',
    4,
  );
  assert.deepEqual(
    statuses.map((s) => s.taskId),
    [...ids].sort(),
  );
  assert.ok(statuses.every((s) => s.status.state === 'pending' && s.status.runs.length === 1));
});

test('tasks and statuses need the scope for every id asked for', async () => {
  const [a, b] = [newTaskId(), newTaskId()];
  const onlyA = queueClient(platform, [`queue:get-task:${a}`, `queue:status:${a}`]);
  await onlyA.tasks({ taskIds: [a] });
  await assert.rejects(onlyA.tasks({ taskIds: [a, b] }), {
    statusCode: 403,
    code: 'InsufficientScopes',
  });
  await assert.rejects(onlyA.statuses({ taskIds: [b] }), {
    statusCode: 403,
    code: 'InsufficientScopes',
  });
  const empty = await onlyA.statuses({ taskIds: [] });
  assert.deepEqual(empty.statuses, []);
});

test('bad taskIds and continuation tokens are 400s', async () => {
  const reader = queueClient(platform, ['queue:get-task:*', 'queue:status:*']);
  await assert.rejects(reader.statuses({ taskIds: ['not a task id'] }), { statusCode: 400 });
  await assert.rejects(
    reader.tasks({ taskIds: [newTaskId()] }, { continuationToken: 'bm90LWEtdGFzaw' }),
    {
      statusCode: 400,
      code: 'InvalidRequestArguments',
    },
  );
  await assert.rejects(reader.tasks({ taskIds: [newTaskId()] }, { continuationToken: '!!' }), {
    statusCode: 400,
  });
});

test('listDependentTasks pages through the tasks depending on a task', async () => {
  const required = newTaskId();
  await creator.createTask(required, taskDefinition());
  const dependents = Array.from({ length: 5 }, newTaskId);
  for (const id of dependents) {
    await creator.createTask(id, taskDefinition({ dependencies: [required] }));
  }
  const reader = queueClient(platform, [`queue:list-dependent-tasks:${required}`]);
  const { items, pages } = await allPages<any>(
    (q) => reader.listDependentTasks(required, q),
    'tasks',
    2,
  );
  assert.equal(pages, 3);
  assert.deepEqual(
    items.map((t) => t.status.taskId),
    [...dependents].sort(),
  );
  assert.ok(items.every((t) => t.status.state === 'unscheduled'));
  assert.deepEqual(items[0].task.dependencies, [required]);

  const none = await reader.listDependentTasks(required, { limit: '5' });
  assert.equal(none.continuationToken, undefined);
  await assert.rejects(queueClient(platform, ['queue:unrelated']).listDependentTasks(required), {
    statusCode: 403,
    code: 'InsufficientScopes',
  });
  await assert.rejects(admin.listDependentTasks(newTaskId()), {
    statusCode: 404,
    code: 'ResourceNotFound',
  });
});

test('changeTaskPriority reorders pending work at once', async () => {
  const queueId = 'test-prov/reorder';
  const ids = Array.from({ length: 3 }, newTaskId);
  for (const id of ids) await creator.createTask(id, taskDefinition({ taskQueueId: queueId }));
  const last = ids[2]!;
  const changer = priorityClient(platform, [`queue:change-task-priority:${last}`]);
  const { status } = await changer.changeTaskPriority(last, { newPriority: 'high' });
  assert.equal(status.state, 'pending');
  assert.equal((await admin.task(last)).priority, 'high');
  const worker = queueClient(platform, [
    `queue:claim-work:${queueId}`,
    'queue:worker-id:g/reorder',
  ]);
  const { tasks } = await worker.claimWork(queueId, {
    workerGroup: 'g',
    workerId: 'reorder',
    tasks: 3,
  });
  assert.deepEqual(
    tasks.map((t: any) => t.status.taskId),
    [last, ids[0], ids[1]],
  );
  assert.equal(tasks[0].task.priority, 'high');
  for (const t of tasks) await admin.reportCompleted(t.status.taskId, 0);
});

test('changeTaskPriority: queue scope works too; resolved is 409, unknown 404, missing scope 403', async () => {
  const queueId = 'test-prov/prio-rules';
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition({ taskQueueId: queueId }));
  const byQueue = priorityClient(platform, [`queue:change-task-priority-in-queue:${queueId}`]);
  await byQueue.changeTaskPriority(taskId, { newPriority: 'medium' });
  // The same priority again changes nothing and is not an error.
  await byQueue.changeTaskPriority(taskId, { newPriority: 'medium' });
  await assert.rejects(
    priorityClient(platform, [
      'queue:change-task-priority-in-queue:test-prov/other',
    ]).changeTaskPriority(taskId, { newPriority: 'low' }),
    { statusCode: 403, code: 'InsufficientScopes' },
  );
  await assert.rejects(byQueue.changeTaskPriority(taskId, { newPriority: 'normal' }), {
    statusCode: 400,
  });
  await assert.rejects(byQueue.changeTaskPriority(newTaskId(), { newPriority: 'low' }), {
    statusCode: 404,
  });
  await admin.cancelTask(taskId);
  await assert.rejects(byQueue.changeTaskPriority(taskId, { newPriority: 'low' }), {
    statusCode: 409,
    code: 'RequestConflict',
  });
});

test('a running task keeps its claim when its priority changes; its retry uses the new one', async () => {
  const queueId = 'test-prov/prio-running';
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition({ taskQueueId: queueId }));
  const worker = queueClient(platform, [`queue:claim-work:${queueId}`, 'queue:worker-id:g/run']);
  const claim = async (): Promise<any> =>
    (await worker.claimWork(queueId, { workerGroup: 'g', workerId: 'run' })).tasks;
  const [first] = await claim();
  const changed = await priorityClient(platform, [
    'queue:change-task-priority:*',
  ]).changeTaskPriority(taskId, { newPriority: 'very-high' });
  assert.equal(changed.status.state, 'running');
  await queueWith(platform, first.credentials).reportException(taskId, 0, {
    reason: 'worker-shutdown',
  });
  const [retry] = await claim();
  assert.equal(retry.runId, 1);
  assert.equal(retry.task.priority, 'very-high');
  await queueWith(platform, retry.credentials).reportCompleted(taskId, 1);
});
