import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import {
  newTaskId,
  queueWith,
  startTestPlatform,
  taskDefinition,
  type TestPlatform,
} from './harness.js';

let first: TestPlatform;
let second: TestPlatform;

before(async () => {
  first = await startTestPlatform({ claimWorkTimeoutMs: 3000 });
  second = await startTestPlatform({ claimWorkTimeoutMs: 3000, replicaOf: first });
});
after(async () => {
  await second.close();
  await first.close();
});

const QUEUE = 'test-prov/replicas';

test('a claimWork waiting on one replica is woken by a task created on another', async () => {
  const worker = queueWith(second, second.root);
  const started = Date.now();
  const waiting = worker.claimWork(QUEUE, { workerGroup: 'g', workerId: 'w' });
  await new Promise((r) => setTimeout(r, 300));
  const taskId = newTaskId();
  await queueWith(first, first.root).createTask(taskId, taskDefinition({ taskQueueId: QUEUE }));
  const { tasks } = await waiting;
  assert.equal(tasks[0]?.status.taskId, taskId);
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 1500, `took ${elapsed} ms`);
  // Run credentials issued by one replica work on the other, and die there too (S3).
  const asRun = queueWith(first, tasks[0].credentials);
  await asRun.reclaimTask(taskId, 0);
  await queueWith(second, tasks[0].credentials).reportCompleted(taskId, 0);
  await assert.rejects(asRun.reclaimTask(taskId, 0), { statusCode: 401 });
});

test('claimers on two replicas never take the same run', async () => {
  const admin = queueWith(first, first.root);
  const taskIds = Array.from({ length: 20 }, newTaskId);
  await Promise.all(
    taskIds.map((id) => admin.createTask(id, taskDefinition({ taskQueueId: QUEUE }))),
  );
  const claimers = Array.from({ length: 10 }, (_, i) =>
    queueWith(i % 2 === 0 ? first : second, first.root).claimWork(QUEUE, {
      workerGroup: 'g',
      workerId: `w${i}`,
      tasks: 4,
    }),
  );
  const claimed = (await Promise.all(claimers)).flatMap((r: any) =>
    r.tasks.map((t: any) => t.status.taskId),
  );
  assert.equal(new Set(claimed).size, claimed.length);
  assert.ok(claimed.every((id: string) => taskIds.includes(id)));
});
