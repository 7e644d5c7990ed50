import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { expireQueueRecords, type QueueContext } from '@bulwark/queue-service';
import {
  newTaskId,
  queueClient,
  queueWith,
  startTestPlatform,
  taskDefinition,
  type TestPlatform,
} from './harness.js';

let platform: TestPlatform;
let admin: any;

before(async () => {
  platform = await startTestPlatform({ claimWorkTimeoutMs: 100 });
  admin = queueWith(platform, platform.root);
});
after(() => platform.close());

const DAY = 24 * 3600_000;
const inDays = (days: number): Date => new Date(Date.now() + days * DAY);

/** The queue's context with the clock moved forward, as the job would see it then. */
const at = (when: Date): QueueContext => ({ ...platform.queue.context, now: () => when });

async function count(sql: string, params: unknown[]): Promise<number> {
  const { rows } = await platform.db.pool.query<{ n: string }>(sql, params);
  return Number(rows[0]?.n ?? 0);
}

const taskExists = (id: string): Promise<number> =>
  count('SELECT count(*) AS n FROM tasks WHERE task_id = $1', [id]);
const groupExists = (id: string): Promise<number> =>
  count('SELECT count(*) AS n FROM task_groups WHERE task_group_id = $1', [id]);
const workerExists = (id: string): Promise<number> =>
  count('SELECT count(*) AS n FROM queue_workers WHERE worker_id = $1', [id]);
const queueExists = (id: string): Promise<number> =>
  count('SELECT count(*) AS n FROM task_queues WHERE task_queue_id = $1', [id]);

test('the expiry job deletes exactly the rows whose expiry passed', async () => {
  // Task A expires in 2 days, alone in its group; D (another group) depends on A and
  // expires in 10 days, as does B.
  const a = newTaskId();
  const b = newTaskId();
  const d = newTaskId();
  await admin.createTask(a, taskDefinition({ taskQueueId: 'prov/expiry', expires: inDays(2) }));
  await admin.createTask(b, taskDefinition({ taskQueueId: 'prov/expiry', expires: inDays(10) }));
  await admin.createTask(
    d,
    taskDefinition({ taskQueueId: 'prov/expiry', dependencies: [a], expires: inDays(10) }),
  );
  // Workers: one seen by claimWork (expires in a day), one quarantined for 30 days,
  // one declared until 10 days from now.
  const claimer = queueClient(platform, ['queue:claim-work:prov/expiry', 'queue:worker-id:g/*']);
  const [claimA] = (await claimer.claimWork('prov/expiry', { workerGroup: 'g', workerId: 'seen' }))
    .tasks;
  assert.equal(claimA.status.taskId, a);
  await queueWith(platform, claimA.credentials).reportCompleted(a, 0);
  await queueClient(platform, [
    'queue:claim-work:prov/expiry-held',
    'queue:worker-id:g/held',
  ]).claimWork('prov/expiry-held', { workerGroup: 'g', workerId: 'held' });
  await admin.quarantineWorker('prov', 'expiry-held', 'g', 'held', {
    quarantineUntil: inDays(30).toJSON(),
  });
  await admin.declareWorker('prov', 'declared', 'g', 'declared', { expires: inDays(10).toJSON() });

  // Nothing has expired yet.
  const now = await expireQueueRecords(at(new Date()));
  assert.deepEqual(now, { tasks: 0, dependencies: 0, taskGroups: 0, workers: 0, taskQueues: 0 });

  await expireQueueRecords(at(inDays(3)));
  assert.equal(await taskExists(a), 0);
  assert.equal(await count('SELECT count(*) AS n FROM task_runs WHERE task_id = $1', [a]), 0);
  assert.equal(await groupExists(a), 0, 'a group without tasks left goes once expired');
  assert.equal(await taskExists(b), 1);
  assert.equal(await taskExists(d), 1);
  assert.equal(await groupExists(d), 1);
  // D's dependency on A lives as long as D.
  assert.equal(
    await count('SELECT count(*) AS n FROM task_dependencies WHERE dependent_task_id = $1', [d]),
    1,
  );
  assert.equal(await workerExists('seen'), 0);
  assert.equal(await workerExists('held'), 1, 'a quarantine keeps the worker');
  assert.equal(await workerExists('declared'), 1);
  assert.equal(await queueExists('prov/expiry'), 0);
  assert.equal(await queueExists('prov/declared'), 1);
  // The API no longer knows the expired task.
  await assert.rejects(admin.status(a), { statusCode: 404 });
  await assert.rejects(admin.listDependentTasks(a), { statusCode: 404 });
  assert.equal((await admin.listDependentTasks(d)).tasks.length, 0);

  await expireQueueRecords(at(inDays(11)));
  assert.equal(await taskExists(b), 0);
  assert.equal(await taskExists(d), 0);
  assert.equal(await groupExists(b), 0);
  assert.equal(await groupExists(d), 0);
  assert.equal(
    await count('SELECT count(*) AS n FROM pending_tasks WHERE task_id = ANY($1)', [[b, d]]),
    0,
  );
  assert.equal(await workerExists('declared'), 0);
  assert.equal(await queueExists('prov/declared'), 0);
  assert.equal(await workerExists('held'), 1);
  await expireQueueRecords(at(inDays(31)));
  assert.equal(await workerExists('held'), 0);
});

test('the expiry job is safe to run on every replica at once', async () => {
  const ids = Array.from({ length: 12 }, newTaskId);
  for (const id of ids) {
    await admin.createTask(
      id,
      taskDefinition({ taskQueueId: 'prov/expiry-race', expires: inDays(4) }),
    );
  }
  const keep = newTaskId();
  await admin.createTask(
    keep,
    taskDefinition({ taskQueueId: 'prov/expiry-race', expires: inDays(9) }),
  );
  const ctx = at(inDays(5));
  const results = await Promise.all([1, 2, 3, 4].map(() => expireQueueRecords(ctx)));
  const deleted = results.reduce((n, r) => n + r.tasks, 0);
  assert.equal(deleted, ids.length, 'each expired task was deleted exactly once');
  assert.equal(await count('SELECT count(*) AS n FROM tasks WHERE task_id = ANY($1)', [ids]), 0);
  assert.equal(await taskExists(keep), 1);
});
