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

let platform: TestPlatform;
let creator: any;
let admin: any;

before(async () => {
  platform = await startTestPlatform({ claimWorkTimeoutMs: 200 });
  creator = queueClient(platform, ['queue:create-task:*', 'queue:scheduler-id:-']);
  admin = queueWith(platform, platform.root);
});
after(() => platform.close());

const QUEUE = 'prov/counted';

async function pages(call: (q: Record<string, string>) => Promise<any>, field: string) {
  const items: any[] = [];
  let token: string | undefined;
  let count = 0;
  do {
    const page = await call({ limit: '2', ...(token ? { continuationToken: token } : {}) });
    assert.ok(page[field].length <= 2);
    items.push(...page[field]);
    token = page.continuationToken;
    count++;
  } while (token && count < 20);
  return { items, count };
}

test('pending and claimed counts and lists follow the queue', async () => {
  const low = Array.from({ length: 3 }, newTaskId);
  for (const id of low) await creator.createTask(id, taskDefinition({ taskQueueId: QUEUE }));
  const high = newTaskId();
  await creator.createTask(high, taskDefinition({ taskQueueId: QUEUE, priority: 'high' }));
  const counter = queueClient(platform, [
    `queue:pending-count:${QUEUE}`,
    `queue:claimed-count:${QUEUE}`,
  ]);
  assert.deepEqual(await counter.taskQueueCounts(QUEUE), {
    provisionerId: 'prov',
    workerType: 'counted',
    taskQueueId: QUEUE,
    pendingTasks: 4,
    claimedTasks: 0,
  });
  assert.equal((await counter.pendingTasks(QUEUE)).pendingTasks, 4);

  const pendingLister = queueClient(platform, [`queue:pending-list:${QUEUE}`]);
  const pending = await pages((q) => pendingLister.listPendingTasks(QUEUE, q), 'tasks');
  assert.equal(pending.count, 2);
  // Claim order: the high-priority task first, then oldest first.
  assert.deepEqual(
    pending.items.map((t) => t.taskId),
    [high, ...low],
  );
  assert.ok(
    pending.items.every((t) => t.runId === 0 && t.task.taskQueueId === QUEUE && t.inserted),
  );

  const worker = queueClient(platform, [`queue:claim-work:${QUEUE}`, 'queue:worker-id:g/w']);
  const { tasks } = await worker.claimWork(QUEUE, { workerGroup: 'g', workerId: 'w', tasks: 3 });
  assert.equal(tasks.length, 3);
  assert.deepEqual(await counter.taskQueueCounts(QUEUE), {
    provisionerId: 'prov',
    workerType: 'counted',
    taskQueueId: QUEUE,
    pendingTasks: 1,
    claimedTasks: 3,
  });
  const claimedLister = queueClient(platform, [`queue:claimed-list:${QUEUE}`]);
  const claimed = await pages((q) => claimedLister.listClaimedTasks(QUEUE, q), 'tasks');
  assert.equal(claimed.count, 2);
  assert.deepEqual(
    claimed.items.map((t) => t.taskId).sort(),
    tasks.map((t: any) => t.status.taskId).sort(),
  );
  assert.ok(claimed.items.every((t) => t.workerGroup === 'g' && t.workerId === 'w' && t.claimed));

  for (const t of tasks)
    await queueWith(platform, t.credentials).reportCompleted(t.status.taskId, 0);
  const after = await counter.taskQueueCounts(QUEUE);
  assert.equal(after.claimedTasks, 0);
  assert.equal(after.pendingTasks, 1);
});

test('count and list endpoints need their scopes and refuse foreign tokens', async () => {
  const counter = queueClient(platform, [`queue:pending-count:${QUEUE}`]);
  await counter.pendingTasks(QUEUE);
  await assert.rejects(counter.taskQueueCounts(QUEUE), { statusCode: 403 });
  await assert.rejects(counter.listPendingTasks(QUEUE), { statusCode: 403 });
  await assert.rejects(admin.listPendingTasks(QUEUE, { continuationToken: 'OTo5' }), {
    statusCode: 400,
    code: 'InvalidRequestArguments',
  });
  await assert.rejects(admin.listClaimedTasks(QUEUE, { continuationToken: 'eA' }), {
    statusCode: 400,
  });
  await assert.rejects(admin.listClaimedTasks(QUEUE, { limit: 'ten' }), { statusCode: 400 });
  // An unknown queue simply has nothing.
  const empty = await admin.taskQueueCounts('prov/nothing-here');
  assert.equal(empty.pendingTasks + empty.claimedTasks, 0);
});

test('task queues appear once a worker is active on them', async () => {
  const names = ['prov/tq-a', 'prov/tq-b', 'prov/tq-c'];
  for (const q of names) {
    const w = queueClient(platform, [`queue:claim-work:${q}`, 'queue:worker-id:g/tq']);
    await w.claimWork(q, { workerGroup: 'g', workerId: 'tq' });
  }
  const reader = queueClient(platform, [
    'queue:get-task-queue:prov/tq-a',
    'queue:list-task-queues',
  ]);
  const queue = await reader.getTaskQueue('prov/tq-a');
  assert.equal(queue.taskQueueId, 'prov/tq-a');
  assert.equal(queue.stability, 'experimental');
  assert.equal(queue.description, '');
  assert.ok(new Date(queue.expires) > new Date());
  assert.ok(new Date(queue.lastDateActive) <= new Date());
  const listed = await pages((q) => reader.listTaskQueues(q), 'taskQueues');
  const ids = listed.items.map((q) => q.taskQueueId);
  for (const q of names) assert.ok(ids.includes(q), q);
  assert.deepEqual(ids, [...ids].sort());
  await assert.rejects(reader.getTaskQueue('prov/tq-b'), { statusCode: 403 });
  await assert.rejects(admin.getTaskQueue('prov/never-active'), { statusCode: 404 });
  await assert.rejects(admin.getTaskQueue('NOT A QUEUE'), { statusCode: 400 });
});
