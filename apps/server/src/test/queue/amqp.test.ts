import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { startTestBroker, type TestBroker } from './amqp-broker.js';
import { Consumer, PREFIX, waitFor, type Received } from './amqp-consumer.js';
import {
  newTaskId,
  queueWith,
  startTestPlatform,
  taskDefinition,
  type TestPlatform,
} from './harness.js';

/**
 * AMQP publishing against a real RabbitMQ broker, started privately for this file, and
 * two queue replicas on one database, both configured to publish.
 */

const TASK_QUEUE = 'test-prov/amqp';
const ROUTES = ['index.bulwark.amqp-test', 'notify.email.someone@example.com.on-completed'];

const GROUP_RESOLVED = `${PREFIX}task-group-resolved`;
const taskIdOf = (m: Received): string | undefined => m.routingKey.split('.')[1];
/** A task's own messages (a group's key also starts with an id: the taskGroupId). */
const ofTask = (list: Received[], taskId: string): Received[] =>
  list.filter((m) => m.exchange !== GROUP_RESOLVED && taskIdOf(m) === taskId);

let broker: TestBroker | undefined;
let first: TestPlatform | undefined;
let second: TestPlatform | undefined;
let consumer: Consumer | undefined;

const replicas = (): [TestPlatform, TestPlatform] => [first!, second!];
const publisherOf = (p: TestPlatform) => p.queue.amqp!;

before(async () => {
  broker = await startTestBroker();
  const amqpOptions = {
    url: broker.url,
    lockRetryMs: 300,
    reconnectMinMs: 100,
    reconnectMaxMs: 1000,
  };
  first = await startTestPlatform({ claimWorkTimeoutMs: 3000, events: { amqp: amqpOptions } });
  second = await startTestPlatform({
    claimWorkTimeoutMs: 3000,
    replicaOf: first,
    events: { amqp: amqpOptions },
  });
  consumer = new Consumer(broker.url);
  await consumer.connect();
  await waitFor(
    'one replica to take the publisher lock, and both to reach the broker',
    () =>
      publisherOf(first!).leading !== publisherOf(second!).leading &&
      publisherOf(first!).connected &&
      publisherOf(second!).connected,
    15_000,
  );
});

after(async () => {
  // Each step whatever became of the one before: the broker must never outlive the file.
  for (const step of [
    () => consumer?.close(),
    () => second?.close(),
    () => first?.close(),
    () => broker?.close(),
  ]) {
    await Promise.resolve()
      .then(step)
      .catch((err: unknown) => console.error('cleanup failed:', err));
  }
});

test('a task’s life reaches a bound consumer with Taskcluster’s exchanges, routing keys, CCs and bodies', async (t) => {
  t.diagnostic(`broker started in ${broker!.startTimes.join(', ')} ms`);
  const [a, b] = replicas();
  const admin = queueWith(a, a.root);
  const taskId = newTaskId();
  const tags = { purpose: 'amqp', owner: 'tests' };
  await admin.createTask(
    taskId,
    taskDefinition({ taskQueueId: TASK_QUEUE, routes: ROUTES, tags, schedulerId: 'amqp-sched' }),
  );
  // Claimed and resolved through the other replica: which replica changes a task
  // does not matter, only which one holds the lock.
  const worker = queueWith(b, b.root);
  const { tasks } = await worker.claimWork(TASK_QUEUE, {
    workerGroup: 'amqp-group',
    workerId: 'amqp-worker',
    tasks: 1,
  });
  assert.equal(tasks[0]?.status.taskId, taskId);
  const run = queueWith(b, tasks[0].credentials);
  const expires = new Date(Date.now() + 86_400_000).toJSON();
  await run.createArtifact(taskId, 0, 'public/report', {
    storageType: 'reference',
    expires,
    contentType: 'text/html',
    url: 'https://example.com/report',
  });
  await run.reportCompleted(taskId, 0);

  await waitFor(
    'five messages of the task, and its group resolved',
    () =>
      ofTask(consumer!.all, taskId).length >= 5 &&
      consumer!.all.some((m) => m.exchange === GROUP_RESOLVED && taskIdOf(m) === taskId),
    15_000,
  );
  const all = ofTask(consumer!.all, taskId);
  assert.deepEqual(
    all.map((m) => m.exchange),
    ['task-defined', 'task-pending', 'task-running', 'artifact-created', 'task-completed'].map(
      (e) => PREFIX + e,
    ),
    'one message per change, in the order the changes happened',
  );
  const [artifact] = all.splice(3, 1) as [Received];
  assert.equal(
    artifact.routingKey,
    `primary.${taskId}.0.amqp-group.amqp-worker.test-prov.amqp.amqp-sched.${taskId}._`,
  );
  assert.deepEqual(
    artifact.cc,
    ROUTES.map((r) => `route.${r}`),
  );
  assert.deepEqual(artifact.body.artifact, {
    storageType: 'reference',
    name: 'public/report',
    expires,
    contentType: 'text/html',
  });
  assert.equal(artifact.body.runId, 0);
  assert.equal(artifact.body.workerId, 'amqp-worker');
  assert.equal(artifact.body.task, undefined);

  // The task's group (its own taskId, by default) resolved with it: once, after it.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const groups = consumer!.all.filter(
    (m) => m.exchange === GROUP_RESOLVED && taskIdOf(m) === taskId,
  );
  assert.equal(groups.length, 1, 'task-group-resolved is sent once');
  const [group] = groups as [Received];
  assert.equal(group.routingKey, `primary.${taskId}.amqp-sched._`);
  assert.equal(group.cc, undefined, 'group messages are not CCed to task routes');
  const taskGroup = await admin.getTaskGroup(taskId);
  assert.deepEqual(group.body, {
    version: 1,
    taskGroupId: taskId,
    schedulerId: 'amqp-sched',
    expires: taskGroup.expires,
  });
  assert.ok(
    consumer!.all.indexOf(group) > consumer!.all.indexOf(all[3]!),
    'the group resolves after its last task',
  );

  const messages = all;
  const tail = `test-prov.amqp.amqp-sched.${taskId}._`;
  assert.deepEqual(
    messages.map((m) => m.routingKey),
    [
      `primary.${taskId}._._._.${tail}`,
      `primary.${taskId}.0._._.${tail}`,
      `primary.${taskId}.0.amqp-group.amqp-worker.${tail}`,
      `primary.${taskId}.0.amqp-group.amqp-worker.${tail}`,
    ],
  );
  const [defined, pending, running, completed] = messages as [
    Received,
    Received,
    Received,
    Received,
  ];
  for (const m of messages) {
    assert.deepEqual(
      m.cc,
      ROUTES.map((r) => `route.${r}`),
    );
    assert.equal(m.contentType, 'application/json');
    assert.equal(m.deliveryMode, 2, 'persistent');
    assert.equal(m.body.version, 1);
    assert.equal(m.body.status.taskId, taskId);
    assert.equal(m.body.status.provisionerId, 'test-prov');
    assert.equal(m.body.status.workerType, 'amqp');
    assert.deepEqual(m.body.task, { tags });
  }
  assert.equal(defined.body.runId, undefined);
  assert.equal(pending.body.runId, 0);
  assert.equal(pending.body.workerId, undefined);
  assert.equal(running.body.runId, 0);
  assert.equal(running.body.workerGroup, 'amqp-group');
  assert.equal(running.body.workerId, 'amqp-worker');
  assert.equal(typeof running.body.takenUntil, 'string');
  assert.equal(completed.body.runId, 0);
  assert.equal(completed.body.workerGroup, 'amqp-group');
  assert.equal(completed.body.workerId, 'amqp-worker');
  assert.equal(completed.body.takenUntil, undefined);
  // The status as the status endpoint answers it.
  assert.deepEqual(completed.body.status, (await admin.status(taskId)).status);
  assert.equal(completed.body.status.state, 'completed');

  // The CC routes reach a queue bound to them alone.
  await waitFor('the routed copies', () => ofTask(consumer!.routed, taskId).length >= 5, 5000);
  assert.deepEqual(
    ofTask(consumer!.routed, taskId).map((m) => m.exchange),
    [...messages.slice(0, 3), artifact, ...messages.slice(3)].map((m) => m.exchange),
  );
});

test('two replicas on one database publish each change exactly once', async () => {
  const [a, b] = replicas();
  const taskIds = Array.from({ length: 6 }, newTaskId);
  await Promise.all(
    taskIds.map((taskId, i) =>
      queueWith(i % 2 ? a : b, a.root).createTask(
        taskId,
        taskDefinition({ taskQueueId: 'test-prov/amqp-many' }),
      ),
    ),
  );
  await waitFor(
    'defined and pending for every task',
    () => taskIds.every((id) => ofTask(consumer!.all, id).length >= 2),
    15_000,
  );
  // Long enough for a second publisher's copies, were there one, to arrive.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const keys = consumer!.all.map((m) => `${m.exchange} ${m.routingKey}`);
  assert.equal(new Set(keys).size, keys.length, 'no message was published twice');
  for (const id of taskIds) assert.equal(ofTask(consumer!.all, id).length, 2);
  const leaders = [a, b].filter((p) => publisherOf(p).leading);
  assert.equal(leaders.length, 1);
  assert.equal(publisherOf(leaders[0] === a ? b : a).published, 0, 'the other never published');
});

test('with the broker stopped the API keeps working; publishing resumes when it returns; S1: the broker password is never logged', async (t) => {
  const [a, b] = replicas();
  const admin = queueWith(a, a.root);
  await broker!.stop();
  await waitFor(
    'both replicas to notice the broker went away',
    () => !publisherOf(a).connected && !publisherOf(b).connected,
    10_000,
  );
  const during = newTaskId();
  const started = Date.now();
  await admin.createTask(during, taskDefinition({ taskQueueId: 'test-prov/amqp-outage' }));
  const { status } = await admin.status(during);
  assert.equal(status.state, 'pending');
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 2000, `the API waited for the broker: ${elapsed} ms`);

  await broker!.start();
  await waitFor(
    'the publishing replica to reconnect',
    () => [a, b].some((p) => publisherOf(p).leading && publisherOf(p).connected),
    30_000,
  );
  t.diagnostic(`broker restarted in ${broker!.startTimes.at(-1)} ms`);
  await consumer!.connect();
  const after = newTaskId();
  await admin.createTask(after, taskDefinition({ taskQueueId: 'test-prov/amqp-outage' }));
  await waitFor(
    'the task created after the broker returned',
    () => ofTask(consumer!.all, after).length >= 2,
    15_000,
  );
  // Kept while the broker was away, and sent once it was back.
  await waitFor(
    'the task created while the broker was away',
    () => ofTask(consumer!.all, during).length >= 2,
    5000,
  );
  const logs = [...a.logLines, ...b.logLines].join('\n');
  assert.match(logs, /AMQP broker connection lost; reconnecting/);
  assert.match(logs, /AMQP broker connection re-established/);
  assert.ok(!logs.includes(broker!.password), 'the broker password never reaches the log');
});

test('when the publishing replica stops, the other takes over', async () => {
  const [a, b] = replicas();
  const leader = publisherOf(a).leading ? a : b;
  const other = leader === a ? b : a;
  await leader.queue.stop();
  await waitFor('the other replica to take the lock', () => publisherOf(other).leading, 10_000);
  const taskId = newTaskId();
  await queueWith(other, other.root).createTask(
    taskId,
    taskDefinition({ taskQueueId: 'test-prov/amqp-failover' }),
  );
  await waitFor(
    'the task’s messages from the new publisher',
    () => ofTask(consumer!.all, taskId).length >= 2,
    15_000,
  );
});
