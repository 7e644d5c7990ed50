import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import { bewitUrl, eventually, hawkHeader, SseReader, type Credentials } from './events-helpers.js';
import {
  newTaskId,
  queueWith,
  startTestPlatform,
  taskDefinition,
  type TestPlatform,
} from './harness.js';

let first: TestPlatform;
let second: TestPlatform;
let limited: TestPlatform;
let limitedClosed = false;
const bewits: string[] = [];

before(async () => {
  first = await startTestPlatform({ claimWorkTimeoutMs: 1000, events: { heartbeatMs: 200 } });
  second = await startTestPlatform({ claimWorkTimeoutMs: 1000, replicaOf: first });
  limited = await startTestPlatform({
    replicaOf: first,
    events: { maxSubscribersPerClient: 1, maxLifetimeMs: 1500 },
  });
});
after(async () => {
  if (!limitedClosed) await limited.close();
  await second.close();
  await first.close();
});

const OPTIONS = { timeout: 30_000 };
const taskUrl = (p: TestPlatform, taskId: string): string =>
  `${p.rootUrl}/api/queue/v1/task/${taskId}/events`;
const groupUrl = (p: TestPlatform, taskGroupId: string): string =>
  `${p.rootUrl}/api/queue/v1/task-group/${taskGroupId}/events`;

/** Opens a stream signed with a Hawk header for exactly `scopes`. */
function watch(url: string, scopes: string[], headers: Record<string, string> = {}) {
  return SseReader.open(url, { authorization: hawkHeader(url, first.root, scopes), ...headers });
}

async function createTask(queue: string, overrides: Record<string, unknown> = {}) {
  const taskId = newTaskId();
  await queueWith(first, first.root).createTask(
    taskId,
    taskDefinition({ taskQueueId: queue, ...overrides }),
  );
  return taskId;
}

/** Claims the one pending task of `queue` and returns its run credentials. */
async function claim(p: TestPlatform, queue: string, taskId: string): Promise<Credentials> {
  const { tasks } = await queueWith(p, p.root).claimWork(queue, {
    workerGroup: 'events-group',
    workerId: 'events-worker',
    tasks: 1,
  });
  assert.equal(tasks[0]?.status.taskId, taskId);
  return tasks[0].credentials;
}

async function get(url: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await fetch(url, { method, headers: { accept: 'text/event-stream', ...headers } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : {} };
}

test(
  'a Hawk-signed watcher sees a task defined, pending, running and completed',
  OPTIONS,
  async () => {
    const queue = 'test-prov/events-one';
    const taskId = await createTask(queue, { tags: { purpose: 'events' } });
    const stream = await watch(taskUrl(first, taskId), [`queue:status:${taskId}`]);
    try {
      assert.equal(stream.status, 200);
      assert.match(stream.header('content-type'), /^text\/event-stream/);
      assert.equal(stream.header('cache-control'), 'no-store, no-cache, must-revalidate');
      const defined = await stream.next();
      assert.equal(defined.event, 'task-defined');
      assert.equal(defined.id, `${taskId}.0`);
      assert.equal(defined.data.version, 1);
      assert.equal(defined.data.status.taskId, taskId);
      assert.equal(defined.data.runId, undefined);
      assert.deepEqual(defined.data.task, { tags: { purpose: 'events' } });
      const pending = await stream.next();
      assert.deepEqual(
        [pending.event, pending.id, pending.data.runId],
        ['task-pending', `${taskId}.1`, 0],
      );
      assert.equal(pending.data.workerId, undefined);

      const credentials = await claim(first, queue, taskId);
      const running = await stream.next();
      assert.deepEqual([running.event, running.id], ['task-running', `${taskId}.2`]);
      assert.equal(running.data.workerGroup, 'events-group');
      assert.equal(running.data.workerId, 'events-worker');
      assert.equal(running.data.status.state, 'running');
      assert.equal(running.data.takenUntil, running.data.status.runs[0].takenUntil);

      await queueWith(first, credentials).reportCompleted(taskId, 0);
      const completed = await stream.next();
      assert.deepEqual([completed.event, completed.id], ['task-completed', `${taskId}.3`]);
      assert.equal(completed.data.workerId, 'events-worker');
      assert.equal(completed.data.takenUntil, undefined);
      // The body's status is what the status endpoint answers.
      const { status } = await queueWith(first, first.root).status(taskId);
      assert.deepEqual(completed.data.status, status);
    } finally {
      stream.close();
    }
  },
);

test(
  'a signed URL (bewit) works as EventSource uses it; Last-Event-ID resumes',
  OPTIONS,
  async () => {
    const queue = 'test-prov/events-bewit';
    const taskId = await createTask(queue);
    const url = bewitUrl(taskUrl(first, taskId), first.root, [`queue:status:${taskId}`]);
    bewits.push(new URL(url).searchParams.get('bewit')!);
    const stream = await SseReader.open(url);
    try {
      assert.equal(stream.status, 200);
      assert.deepEqual(await stream.names(2), ['task-defined', 'task-pending']);
    } finally {
      stream.close();
    }
    const credentials = await claim(first, queue, taskId);
    await queueWith(first, credentials).reportFailed(taskId, 0);
    // What EventSource does on reconnecting: the same URL, and the last id it saw.
    const resumed = await SseReader.open(url, { 'last-event-id': `${taskId}.1` });
    try {
      assert.deepEqual(await resumed.names(2), ['task-running', 'task-failed']);
    } finally {
      resumed.close();
    }
  },
);

test('taskcluster-client signs the stream URL from the served reference', OPTIONS, async () => {
  const taskId = await createTask('test-prov/events-client');
  const reference: unknown = await (await fetch(`${first.rootUrl}/api/queue/v1/reference`)).json();
  const Queue = taskcluster.createClient(reference);
  const credentials = taskcluster.createTemporaryCredentials({
    expiry: new Date(Date.now() + 60 * 60 * 1000),
    scopes: [`queue:status:${taskId}`],
    credentials: first.root,
  });
  const queue = new Queue({ rootUrl: first.rootUrl, credentials });
  const signed: string = queue.buildSignedUrl(queue.taskEvents, taskId, { expiration: 600 });
  bewits.push(new URL(signed).searchParams.get('bewit')!);
  const stream = await SseReader.open(signed);
  try {
    assert.equal(stream.status, 200);
    assert.deepEqual(await stream.names(2), ['task-defined', 'task-pending']);
  } finally {
    stream.close();
  }
  // Called as a JSON method, it refuses instead of hanging.
  await assert.rejects(queue.taskEvents(taskId), { statusCode: 400 });
});

test('a watcher on one replica hears changes made on another', OPTIONS, async () => {
  const queue = 'test-prov/events-replica';
  const taskId = await createTask(queue);
  const stream = await SseReader.open(taskUrl(second, taskId), {
    authorization: hawkHeader(taskUrl(second, taskId), second.root, [`queue:status:${taskId}`]),
  });
  try {
    assert.deepEqual(await stream.names(2), ['task-defined', 'task-pending']);
    const credentials = await claim(first, queue, taskId);
    assert.equal((await stream.next()).event, 'task-running');
    await queueWith(first, credentials).reportCompleted(taskId, 0);
    // A rerun is a new run: the stream stays open after the task resolved.
    assert.equal((await stream.next()).event, 'task-completed');
    await queueWith(first, first.root).rerunTask(taskId);
    const rerun = await stream.next();
    assert.deepEqual([rerun.event, rerun.id, rerun.data.runId], ['task-pending', `${taskId}.4`, 1]);
  } finally {
    stream.close();
  }
});

test('a group watcher gets where each task stands, then every change', OPTIONS, async () => {
  const queue = 'test-prov/events-group';
  const taskGroupId = newTaskId();
  const a = await createTask(queue, { taskGroupId });
  const b = await createTask(queue, { taskGroupId, dependencies: [a] });
  const stream = await watch(groupUrl(first, taskGroupId), [
    `queue:list-task-group:${taskGroupId}`,
  ]);
  const seen = new Map<string, string[]>();
  const take = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const event = await stream.next();
      const list = seen.get(event.data.status.taskId) ?? [];
      seen.set(event.data.status.taskId, [...list, event.event]);
    }
  };
  try {
    await take(2);
    assert.deepEqual(seen.get(a), ['task-pending']);
    assert.deepEqual(seen.get(b), ['task-defined']);
    const credentials = await claim(first, queue, a);
    await queueWith(first, credentials).reportCompleted(a, 0);
    await take(3);
    assert.deepEqual(seen.get(a), ['task-pending', 'task-running', 'task-completed']);
    assert.deepEqual(seen.get(b), ['task-defined', 'task-pending']);
    const c = await createTask(queue, { taskGroupId });
    await take(2);
    assert.deepEqual(seen.get(c), ['task-defined', 'task-pending']);
  } finally {
    stream.close();
  }
});

test(
  'streams are refused without credentials or scopes, with Taskcluster errors',
  OPTIONS,
  async () => {
    const taskId = await createTask('test-prov/events-denied');
    const url = taskUrl(first, taskId);
    const anonymous = await get(url);
    assert.equal(anonymous.status, 403);
    assert.equal(anonymous.body.code, 'InsufficientScopes');
    assert.match(anonymous.body.message, /queue:status:/);
    assert.equal(anonymous.body.requestInfo.method, 'taskEvents');

    const forged = await get(url, {
      authorization: hawkHeader(url, {
        clientId: first.root.clientId,
        accessToken: 'x'.repeat(44),
      }),
    });
    assert.equal(forged.status, 401);
    assert.equal(forged.body.code, 'AuthenticationFailed');

    const otherTask = await get(url, {
      authorization: hawkHeader(url, first.root, ['queue:status:other']),
    });
    assert.equal(otherTask.status, 403);
    assert.equal(otherTask.body.code, 'InsufficientScopes');

    const badBewit = `${url}?bewit=${Buffer.from('static/x\\1\\mac\\').toString('base64url')}`;
    assert.equal((await get(badBewit)).status, 401);

    // Statuses of every task do not open the group's stream: that is listTaskGroup's scope.
    const group = groupUrl(first, taskId);
    const groupDenied = await get(group, {
      authorization: hawkHeader(group, first.root, ['queue:status:*']),
    });
    assert.equal(groupDenied.status, 403);
    assert.equal(groupDenied.body.code, 'InsufficientScopes');
  },
);

test('bad input gets a 4xx and opens nothing', OPTIONS, async () => {
  const taskId = await createTask('test-prov/events-input');
  const before = first.queue.context.events.subscriberCount;
  const signed = (url: string, headers: Record<string, string> = {}) =>
    get(url, { authorization: hawkHeader(url, first.root), ...headers });

  const malformed = await signed(taskUrl(first, 'not-a-task-id'));
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body.code, 'InvalidRequestArguments');
  const unknown = await signed(taskUrl(first, newTaskId()));
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.code, 'ResourceNotFound');
  const unknownGroup = await signed(groupUrl(first, newTaskId()));
  assert.equal(unknownGroup.status, 404);
  const notAStream = await signed(taskUrl(first, taskId), { accept: 'application/json' });
  assert.equal(notAStream.status, 400);
  assert.match(notAStream.body.message, /text\/event-stream/);
  const badId = await signed(taskUrl(first, taskId), { 'last-event-id': '../../x' });
  assert.equal(badId.status, 400);
  const otherId = await signed(taskUrl(first, taskId), { 'last-event-id': `${newTaskId()}.2` });
  assert.equal(otherId.status, 400);
  const headUrl = taskUrl(first, taskId);
  const headAuth = hawkHeader(headUrl, first.root, undefined, 'HEAD');
  const head = await get(headUrl, { authorization: headAuth }, 'HEAD');
  assert.equal(head.status, 200);
  assert.match(head.headers.get('content-type') ?? '', /^text\/event-stream/);
  assert.equal(first.queue.context.events.subscriberCount, before);
});

test(
  'a watcher that disconnects is removed; heartbeats keep a quiet stream alive',
  OPTIONS,
  async () => {
    const taskId = await createTask('test-prov/events-leave');
    const events = first.queue.context.events;
    const before = events.subscriberCount;
    const stream = await watch(taskUrl(first, taskId), [`queue:status:${taskId}`]);
    await stream.names(2);
    assert.equal(events.subscriberCount, before + 1);
    await stream.readUntil(() => stream.comments >= 2, 5000);
    stream.close();
    await eventually(() => events.subscriberCount === before, 5000, 'the stream to be removed');
  },
);

test(
  'a lost listener connection is re-established and the stream catches up',
  OPTIONS,
  async () => {
    const queue = 'test-prov/events-lost';
    const taskId = await createTask(queue);
    const events = first.queue.context.events;
    const stream = await watch(taskUrl(first, taskId), [`queue:status:${taskId}`]);
    try {
      await stream.names(2);
      await first.db.pool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND query = 'LISTEN bulwark_task_events'`,
      );
      await eventually(() => !events.listening, 5000, 'the listener to notice');
      // Changed while nobody listens: only the catch-up after reconnecting can tell.
      await claim(first, queue, taskId);
      assert.equal((await stream.next()).event, 'task-running');
      assert.ok(events.listening);
    } finally {
      stream.close();
    }
  },
);

test('limits: streams per client, and a maximum lifetime', OPTIONS, async () => {
  const taskId = await createTask('test-prov/events-limits');
  const url = taskUrl(limited, taskId);
  const open = () =>
    SseReader.open(url, {
      authorization: hawkHeader(url, limited.root, [`queue:status:${taskId}`]),
    });
  const stream = await open();
  try {
    await stream.names(2);
    const another = await get(url, {
      authorization: hawkHeader(url, limited.root, [`queue:status:${taskId}`]),
    });
    assert.equal(another.status, 429);
    assert.equal(another.body.code, 'TooManyRequests');
    const started = Date.now();
    await stream.untilEnd(10_000);
    assert.ok(Date.now() - started < 5000, 'the stream ended at its lifetime');
  } finally {
    stream.close();
  }
  await eventually(() => limited.queue.context.events.subscriberCount === 0, 5000, 'cleanup');
});

test('stopping the service ends every stream at once', OPTIONS, async () => {
  const taskId = await createTask('test-prov/events-stop');
  const url = taskUrl(limited, taskId);
  const stream = await SseReader.open(url, {
    authorization: hawkHeader(url, limited.root, [`queue:status:${taskId}`]),
  });
  await stream.names(2);
  const started = Date.now();
  limitedClosed = true;
  await Promise.all([limited.close(), stream.untilEnd(5000)]);
  assert.ok(Date.now() - started < 5000, `closing took ${Date.now() - started} ms`);
});

test('S1: no token, bewit or signature reaches the logs', () => {
  const logs = [...first.logLines, ...second.logLines, ...limited.logLines].join('\n');
  assert.ok(logs.length > 0);
  assert.ok(!logs.includes(first.root.accessToken));
  for (const bewit of bewits) assert.ok(!logs.includes(bewit));
  assert.ok(!/bewit=|mac="/.test(logs));
});
