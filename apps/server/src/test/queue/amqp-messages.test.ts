import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import apis from 'taskcluster-client/src/apis.js';
import { taskclusterSchemas, validatorFor } from '@bulwark/api/testing/schema-compare';
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
 * The bodies of real AMQP messages, from every exchange the queue publishes to, checked
 * against the schemas Bulwark serves at its root URL and against Taskcluster's published
 * ones (packages/api/fixtures/taskcluster-schemas), and checked to say what was true when their change
 * happened, not when the publisher read the task.
 */

type Json = Record<string, any>;

const clientApis = ((apis as { default?: unknown }).default ?? apis) as Record<
  string,
  { reference: Json }
>;
const TASK_QUEUE = 'test-prov/amqp-messages';
const WORKER = { workerGroup: 'msg-group', workerId: 'msg-worker' };

let broker: TestBroker | undefined;
let platform: TestPlatform | undefined;
let consumer: Consumer | undefined;

before(async () => {
  broker = await startTestBroker();
  platform = await startTestPlatform({
    claimWorkTimeoutMs: 1000,
    events: { amqp: { url: broker.url, lockRetryMs: 300, reconnectMinMs: 100 } },
  });
  consumer = new Consumer(broker.url);
  await consumer.connect();
  await waitFor(
    'the publisher to lead and reach the broker',
    () => platform!.queue.amqp!.leading && platform!.queue.amqp!.connected,
    15_000,
  );
});

after(async () => {
  for (const step of [() => consumer?.close(), () => platform?.close(), () => broker?.close()]) {
    await Promise.resolve()
      .then(step)
      .catch((err: unknown) => console.error('cleanup failed:', err));
  }
});

/** Schema path of each exchange's messages, from a reference's entries. */
function messageSchemas(reference: Json): Map<string, string> {
  return new Map(
    (reference.entries as Json[]).map((e) => [
      e.exchange as string,
      `/schemas/queue/${(e.schema as string).replace(/#$/, '')}`,
    ]),
  );
}

test('every exchange’s messages match the served schemas and Taskcluster’s, and say what was true when their change happened', async () => {
  const p = platform!;
  const admin = queueWith(p, p.root);
  const taskGroupId = newTaskId();
  const [a, b, c, d] = [newTaskId(), newTaskId(), newTaskId(), newTaskId()];
  for (const taskId of [a, b, c, d]) {
    await admin.createTask(taskId, taskDefinition({ taskQueueId: TASK_QUEUE, taskGroupId }));
  }
  // Sealed once its tasks are in: task-group-sealed, and `sealed` in every later group message.
  await admin.sealTaskGroup(taskGroupId);
  await admin.sealTaskGroup(taskGroupId);
  const claim = async (): Promise<void> => {
    const { tasks } = await admin.claimWork(TASK_QUEUE, { ...WORKER, tasks: 1 });
    assert.equal(tasks.length, 1);
  };
  // Claimed in creation order (same priority): a, b, then d after c is canceled.
  await claim();
  await admin.createArtifact(a, 0, 'public/report', {
    storageType: 'reference',
    expires: new Date(Date.now() + 86_400_000).toJSON(),
    contentType: 'text/html',
    url: 'https://example.com/report',
  });
  // An s3 artifact, uploaded: Taskcluster never announces one, and neither does AMQP here.
  const s3 = await admin.createArtifact(a, 0, 'public/data.bin', {
    storageType: 's3',
    expires: new Date(Date.now() + 86_400_000).toJSON(),
    contentType: 'application/octet-stream',
  });
  const put = await fetch(s3.putUrl as string, {
    method: 'PUT',
    body: 'data',
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(put.status, 200);
  await admin.reportCompleted(a, 0);
  await claim();
  await admin.reportFailed(b, 0);
  await admin.cancelTask(c);
  await claim();
  await admin.reportException(d, 0, { reason: 'malformed-payload' });
  // The group resolved; a rerun unresolves it, and its cancellation resolves it again.
  await waitFor(
    'the group’s first resolution',
    () => consumer!.all.some((m) => m.exchange === `${PREFIX}task-group-resolved`),
    15_000,
  );
  await admin.rerunTask(a);
  await admin.cancelTask(a);
  const ofGroup = (): Received[] =>
    consumer!.all.filter(
      (m) => m.body.status?.taskGroupId === taskGroupId || m.body.taskGroupId === taskGroupId,
    );
  // a: 8 (with the artifact-created of the provenance the control plane stores after its
  // completion), b: 4, c: 3, d: 4, the group sealed once and resolved twice.
  await waitFor('every message of the scenario', () => ofGroup().length >= 22, 15_000);
  const messages = ofGroup();

  const servedReference = (await (
    await fetch(`${p.rootUrl}/references/queue/v1/exchanges.json`)
  ).json()) as Json;
  const servedPaths = messageSchemas(servedReference);
  const served = await Promise.all(
    [...new Set(servedPaths.values())].map(async (path) => {
      const res = await fetch(p.rootUrl + path);
      assert.equal(res.status, 200, `${path} is served`);
      return (await res.json()) as Json;
    }),
  );
  const ours = validatorFor(served);
  const theirs = validatorFor(taskclusterSchemas().values());
  const theirPaths = messageSchemas(clientApis.QueueEvents!.reference);

  const seen = new Set<string>();
  for (const m of messages) {
    const exchange = m.exchange.slice(PREFIX.length);
    seen.add(exchange);
    for (const [side, validator, paths] of [
      ['served', ours, servedPaths],
      ['Taskcluster', theirs, theirPaths],
    ] as const) {
      const validate = validator(paths.get(exchange)!);
      assert.ok(
        validate(m.body),
        `${exchange} against ${side}'s schema: ${JSON.stringify(validate.errors)}`,
      );
    }
  }
  assert.deepEqual(
    [...seen].sort(),
    [...servedPaths.keys()].sort(),
    'a message from every exchange the queue declares',
  );

  const of = (taskId: string, exchange: string): Json[] =>
    messages
      .filter((m) => m.exchange === PREFIX + exchange && m.body.status?.taskId === taskId)
      .map((m) => m.body);
  const only = (taskId: string, exchange: string): Json => {
    const found = of(taskId, exchange);
    assert.equal(found.length, 1, `one ${exchange} of ${taskId}`);
    return found[0]!;
  };

  // task-defined: the task as defined, though it was already pending when it was read.
  for (const taskId of [a, b, c, d]) {
    const { status } = only(taskId, 'task-defined');
    assert.equal(status.state, 'unscheduled');
    assert.deepEqual(status.runs, []);
  }
  // task-pending: the run not yet claimed, whatever became of it since.
  const pending = of(a, 'task-pending');
  assert.equal(pending.length, 2);
  assert.deepEqual(
    pending[0]!.status.runs.map((r: Json) => Object.keys(r).sort()),
    [['reasonCreated', 'runId', 'scheduled', 'state']],
  );
  assert.equal(pending[0]!.status.state, 'pending');
  // The rerun's pending: run 0 as resolved, run 1 pending, nothing later.
  assert.deepEqual(
    pending[1]!.status.runs.map((r: Json) => [r.runId, r.state]),
    [
      [0, 'completed'],
      [1, 'pending'],
    ],
  );
  // task-running: claimed, not resolved, with the worker.
  const running = only(a, 'task-running');
  assert.equal(running.status.state, 'running');
  assert.equal(running.status.runs.length, 1);
  assert.equal(running.status.runs[0].workerId, WORKER.workerId);
  assert.equal(running.status.runs[0].resolved, undefined);
  // artifact-created: during the run, so the run is running in it; the s3 one not sent.
  // (The provenance the control plane stores after the completion is announced too:
  // docs/provenance.md.)
  const created = of(a, 'artifact-created').filter(
    (m) => m.artifact.name !== 'public/bulwark/provenance.intoto.json',
  );
  assert.equal(created.length, 1, `one artifact-created of ${a} from the run`);
  const artifact = created[0]!;
  assert.equal(artifact.artifact.name, 'public/report');
  assert.equal(artifact.status.state, 'running');
  // task-completed: run 0 completed, before the rerun existed.
  const completed = only(a, 'task-completed');
  assert.deepEqual(
    completed.status.runs.map((r: Json) => [r.runId, r.state]),
    [[0, 'completed']],
  );
  assert.equal(completed.status.state, 'completed');
  // task-exception of the canceled rerun: both runs, the last canceled.
  const canceled = only(a, 'task-exception');
  assert.equal(canceled.runId, 1);
  assert.equal(canceled.status.runs[1].reasonResolved, 'canceled');
  // c was canceled before any worker claimed it: no worker in its message.
  const neverClaimed = only(c, 'task-exception');
  assert.equal(neverClaimed.workerId, undefined);
  assert.equal(only(d, 'task-exception').workerId, WORKER.workerId);
  assert.equal(only(b, 'task-failed').status.state, 'failed');

  // task-group-resolved carries the group's expiry, as Taskcluster's schema requires.
  const group = await admin.getTaskGroup(taskGroupId);
  const resolved = messages.filter((m) => m.exchange === `${PREFIX}task-group-resolved`);
  assert.equal(resolved.length, 2, 'resolved, then resolved again after the rerun');
  const sealed = messages.filter((m) => m.exchange === `${PREFIX}task-group-sealed`);
  assert.equal(sealed.length, 1, 'sealing again announces nothing');
  assert.equal(sealed[0]!.routingKey, `primary.${taskGroupId}.-._`);
  assert.ok(
    messages.indexOf(sealed[0]!) < messages.indexOf(resolved[0]!),
    'sealed before it resolved',
  );
  for (const m of [...sealed, ...resolved]) {
    assert.deepEqual(m.body, {
      version: 1,
      taskGroupId,
      schedulerId: '-',
      expires: group.expires,
      sealed: group.sealed,
    });
  }
});
