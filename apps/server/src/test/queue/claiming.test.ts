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
import { TestClock } from './test-clock.js';

/** Taskcluster's; passed by advancing the clock, never waited for. */
const CLAIM_WORK_TIMEOUT_MS = 20_000;
/**
 * Out of reach: here a waiting claimWork wakes only when notified, when the queue's
 * clock is moved past its timeout, or when the server stops, never by itself.
 */
const NO_SAFETY_POLL_MS = 60 * 60 * 1000;
/** The queue's clock: claimWork's long poll ends when a test advances it. */
const clock = new TestClock('frozen');

let platform: TestPlatform;
let creator: any;

/**
 * Ends the long polls of the calls in `calls` that found nothing, by moving the queue's
 * clock past their timeout and waking them; fails if they do not answer then. Moved
 * again now and then (boundedly), since a call that had not yet started waiting when
 * the clock moved counts its timeout from then. A long poll timed by the system's
 * clock would hold the call for the whole 20 s, past this loop's bound.
 */
async function answered<T>(calls: Promise<T>): Promise<T> {
  let settled = false;
  const result = calls.finally(() => {
    settled = true;
  });
  for (let i = 0; i < 500 && !settled; i++) {
    if (i % 50 === 0) clock.advance(CLAIM_WORK_TIMEOUT_MS);
    platform.queue.context.waiters.wakeAll();
    await sleep(10);
  }
  assert.ok(settled, 'the call did not answer once the clock passed its timeout');
  return result;
}

/**
 * The call's answer, when something other than time ends its wait (a notification, the
 * server stopping); fails after a bounded number of looks instead of hanging.
 */
async function woken<T>(call: Promise<T>, what: string): Promise<T> {
  let settled = false;
  const result = call.finally(() => {
    settled = true;
  });
  for (let i = 0; i < 1000 && !settled; i++) await sleep(10);
  assert.ok(settled, what);
  return result;
}

before(async () => {
  platform = await startTestPlatform({
    claimWorkTimeoutMs: CLAIM_WORK_TIMEOUT_MS,
    claimWorkSafetyPollMs: NO_SAFETY_POLL_MS,
    now: clock.now,
  });
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
  const results = await answered(
    Promise.all(
      workers.map((w, i) =>
        w.claimWork('test-prov/test-worker', {
          workerGroup: 'test-group',
          workerId: `w${i}`,
          tasks: 3,
        }),
      ),
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
    const { tasks } = await answered<any>(
      drain.claimWork('test-prov/test-worker', {
        workerGroup: 'test-group',
        workerId: 'drain',
        tasks: 32,
      }),
    );
    for (const t of tasks) await admin.reportCompleted(t.status.taskId, 0);
    if (tasks.length === 0) break;
  }
});

test('a waiting claimWork is woken by the task’s creation', async () => {
  // Neither its timeout (the clock stands still) nor a safety poll can end this wait:
  // only the notification of the new task can.
  const worker = queueClient(platform, workerScopes('waiter'));
  const waiting = worker.claimWork('test-prov/test-worker', {
    workerGroup: 'test-group',
    workerId: 'waiter',
  });
  await sleep(300);
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition());
  const { tasks } = await woken<any>(waiting, 'the task’s notification did not wake it');
  assert.equal(tasks.length, 1);
  assert.equal(tasks[0].status.taskId, taskId);
  await queueWith(platform, tasks[0].credentials).reportCompleted(taskId, 0);
});

test('claimWork with nothing pending answers with no tasks once its timeout has passed', async () => {
  const worker = queueClient(platform, workerScopes('idle'));
  // The clock stands still and there is no safety poll: only passing the timeout on
  // the queue's clock can end this wait.
  const waiting = worker.claimWork('test-prov/test-worker', {
    workerGroup: 'test-group',
    workerId: 'idle',
  });
  const { tasks } = await answered<any>(waiting);
  assert.deepEqual(tasks, []);
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
  await sleep(200);
  controller.abort();
  await request;
  await sleep(100);
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition());
  await sleep(300);
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
  const { tasks } = await answered<any>(
    elsewhere.claimWork('test-prov/elsewhere', { workerGroup: 'test-group', workerId: 'x' }),
  );
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
  // Its clock stands still and it has no safety poll: only the shutdown can end the wait.
  const other = await startTestPlatform({
    claimWorkSafetyPollMs: NO_SAFETY_POLL_MS,
    now: new TestClock('frozen').now,
  });
  const worker = queueWith(other, other.root);
  const waiting = worker.claimWork('test-prov/test-worker', {
    workerGroup: 'test-group',
    workerId: 'worker-1',
  });
  await sleep(200);
  await other.close();
  const { tasks } = await woken<any>(waiting, 'stopping did not end the waiting call');
  assert.deepEqual(tasks, []);
});
