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

before(async () => {
  platform = await startTestPlatform({ claimWorkTimeoutMs: 3000 });
  creator = queueClient(platform, [...CREATE_SCOPES, 'queue:status:*']);
});
after(() => platform.close());

const workerScopes = (id: string): string[] => [
  'queue:claim-work:test-prov/test-worker',
  `queue:worker-id:test-group/${id}`,
];

test('many parallel claimWork calls hand each run to exactly one worker', async () => {
  const taskIds = Array.from({ length: 24 }, newTaskId);
  await Promise.all(taskIds.map((id) => creator.createTask(id, taskDefinition())));
  const workers = Array.from({ length: 16 }, (_, i) =>
    queueClient(platform, workerScopes(`w${i}`)),
  );
  const results = await Promise.all(
    workers.map((w, i) =>
      w.claimWork('test-prov/test-worker', {
        workerGroup: 'test-group',
        workerId: `w${i}`,
        tasks: 3,
      }),
    ),
  );
  const claimed = results.flatMap((r: any) => r.tasks.map((t: any) => t.status.taskId));
  assert.equal(new Set(claimed).size, claimed.length, 'no run was handed out twice');
  // Calls that found nothing waited; whatever is left is still pending, never lost.
  const statuses = await Promise.all(taskIds.map((id) => creator.status(id)));
  const running = statuses.filter((s: any) => s.status.state === 'running').length;
  assert.equal(running, claimed.length);
  const admin = queueWith(platform, platform.root);
  for (const s of statuses) {
    if (s.status.state === 'pending') continue;
    await admin.reportCompleted(s.status.taskId, 0);
  }
  // Drain whatever is left for the next tests.
  const drain = queueClient(platform, workerScopes('drain'));
  for (;;) {
    const { tasks } = await drain.claimWork('test-prov/test-worker', {
      workerGroup: 'test-group',
      workerId: 'drain',
      tasks: 32,
    });
    for (const t of tasks) await admin.reportCompleted(t.status.taskId, 0);
    if (tasks.length === 0) break;
  }
});

test('a waiting claimWork returns promptly when a task is created', async () => {
  const worker = queueClient(platform, workerScopes('waiter'));
  const started = Date.now();
  const waiting = worker.claimWork('test-prov/test-worker', {
    workerGroup: 'test-group',
    workerId: 'waiter',
  });
  await new Promise((r) => setTimeout(r, 300));
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition());
  const { tasks } = await waiting;
  const elapsed = Date.now() - started;
  assert.equal(tasks.length, 1);
  assert.equal(tasks[0].status.taskId, taskId);
  assert.ok(elapsed < 1500, `took ${elapsed} ms; the notification should wake it`);
  await queueWith(platform, tasks[0].credentials).reportCompleted(taskId, 0);
});

test('claimWork with nothing pending answers with no tasks after its timeout', async () => {
  const worker = queueClient(platform, workerScopes('idle'));
  const started = Date.now();
  const { tasks } = await worker.claimWork('test-prov/test-worker', {
    workerGroup: 'test-group',
    workerId: 'idle',
  });
  assert.deepEqual(tasks, []);
  assert.ok(Date.now() - started >= 2900);
});

test('a claimWork whose client disconnects stops waiting and claims nothing', async () => {
  const worker = queueClient(platform, workerScopes('leaver'));
  const url = worker.buildUrl(worker.claimWork, 'test-prov/test-worker');
  const hawk = (await import('hawk')).default;
  const body = JSON.stringify({ workerGroup: 'test-group', workerId: 'leaver' });
  const root = platform.root;
  const header = hawk.client.header(url, 'POST', {
    credentials: { id: root.clientId, key: root.accessToken, algorithm: 'sha256' },
  }).header;
  const controller = new AbortController();
  const request = fetch(url, {
    method: 'POST',
    headers: { authorization: header, 'content-type': 'application/json' },
    body,
    signal: controller.signal,
  }).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 200));
  controller.abort();
  await request;
  await new Promise((r) => setTimeout(r, 100));
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition());
  await new Promise((r) => setTimeout(r, 300));
  const status = await creator.status(taskId);
  assert.equal(status.status.state, 'pending', 'the departed caller claimed nothing');
  const other = queueClient(platform, workerScopes('stayer'));
  const { tasks } = await other.claimWork('test-prov/test-worker', {
    workerGroup: 'test-group',
    workerId: 'stayer',
  });
  assert.equal(tasks.length, 1);
  await queueWith(platform, tasks[0].credentials).reportCompleted(taskId, 0);
});

test('claimWork on another queue does not take this queue’s tasks', async () => {
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition());
  const elsewhere = queueClient(platform, [
    'queue:claim-work:test-prov/elsewhere',
    'queue:worker-id:test-group/x',
  ]);
  const { tasks } = await elsewhere.claimWork('test-prov/elsewhere', {
    workerGroup: 'test-group',
    workerId: 'x',
  });
  assert.deepEqual(tasks, []);
  const worker = queueClient(platform, WORKER_SCOPES);
  const claimed = await worker.claimWork('test-prov/test-worker', {
    workerGroup: 'test-group',
    workerId: 'worker-1',
  });
  assert.equal(claimed.tasks[0].status.taskId, taskId);
  await queueWith(platform, claimed.tasks[0].credentials).reportCompleted(taskId, 0);
});

test('shutting down ends waiting claimWork calls at once instead of holding the server', async () => {
  const other = await startTestPlatform();
  const worker = queueWith(other, other.root);
  const waiting = worker.claimWork('test-prov/test-worker', {
    workerGroup: 'test-group',
    workerId: 'worker-1',
  });
  await new Promise((r) => setTimeout(r, 200));
  const started = Date.now();
  await other.close();
  const { tasks } = await waiting;
  assert.deepEqual(tasks, []);
  assert.ok(Date.now() - started < 3000, 'close did not wait for the 20 s long poll');
});
