import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import {
  CREATE_SCOPES,
  newTaskId,
  queueClient,
  startTestPlatform,
  taskDefinition,
  type TestPlatform,
} from './harness.js';
import {
  claim,
  claimOne,
  CREATOR_SCOPES,
  createQuorumTask,
  QUEUE,
  TRUSTED,
  worker,
} from './quorum-helpers.js';

let platform: TestPlatform;
let creator: any;

before(async () => {
  platform = await startTestPlatform({ claimWorkTimeoutMs: 300 });
  creator = queueClient(platform, CREATOR_SCOPES);
});
after(() => platform.close());

test('a task without verification is exactly a Taskcluster task: no extension fields', async () => {
  const taskId = newTaskId();
  const plain = queueClient(platform, [...CREATE_SCOPES, 'queue:status:*', 'queue:get-task:*']);
  const { status } = await plain.createTask(taskId, taskDefinition());
  assert.equal(status.state, 'pending');
  assert.equal('quorum' in status, false);
  assert.equal('replica' in status.runs[0], false);
  const definition = await plain.task(taskId);
  assert.equal('verification' in definition, false);
});

test('S17: asking for a quorum needs queue:verify-task for the queue and the trusted queue', async () => {
  const base = [
    `queue:create-task:lowest:${QUEUE}`,
    'queue:create-task:project:none',
    'queue:scheduler-id:-',
  ];
  const withoutVerify = queueClient(platform, base);
  const definition = (verification: object): object =>
    taskDefinition({ taskQueueId: QUEUE, verification });
  await assert.rejects(withoutVerify.createTask(newTaskId(), definition({ replicas: 2 })), {
    statusCode: 403,
    code: 'InsufficientScopes',
  });
  const ownOnly = queueClient(platform, [...base, `queue:verify-task:${QUEUE}`]);
  const allowed = newTaskId();
  await ownOnly.createTask(allowed, definition({ replicas: 2 }));
  await creator.cancelTask(allowed);
  await assert.rejects(
    ownOnly.createTask(newTaskId(), definition({ replicas: 2, trustedTaskQueueId: TRUSTED })),
    { statusCode: 403, code: 'InsufficientScopes' },
  );
});

test('S10: a malformed verification is a 400 and creates nothing', async () => {
  const bad: [object, string][] = [
    [{ replicas: 1 }, 'InputValidationError'],
    [{ replicas: 6 }, 'InputValidationError'],
    [{ replicas: 2.5 }, 'InputValidationError'],
    [{ replicas: 2, distinctBy: 'host' }, 'InputValidationError'],
    [{ replicas: 2, unknown: true }, 'InputValidationError'],
    [{ replicas: 2, nondeterministic: ['a b'] }, 'InputValidationError'],
    [{ replicas: 2, trustedTaskQueueId: 'not a queue' }, 'InputValidationError'],
    [{ replicas: 2, trustedTaskQueueId: QUEUE }, 'InputError'],
    [{}, 'InputValidationError'],
  ];
  for (const [verification, code] of bad) {
    const taskId = newTaskId();
    await assert.rejects(
      creator.createTask(taskId, taskDefinition({ taskQueueId: QUEUE, verification })),
      { statusCode: 400, code },
      JSON.stringify(verification),
    );
    await assert.rejects(creator.status(taskId), { statusCode: 404 });
  }
});

test('a quorum task: one pending run per replica, its definition and status show the quorum', async () => {
  const taskId = await createQuorumTask(creator, { replicas: 3, nondeterministic: ['public/t/*'] });
  const definition = await creator.task(taskId);
  assert.deepEqual(definition.verification, {
    replicas: 3,
    distinctBy: 'workerId',
    nondeterministic: ['public/t/*'],
  });
  const { status } = await creator.status(taskId);
  assert.equal(status.state, 'pending');
  assert.deepEqual(
    status.runs.map((r: any) => [r.runId, r.replica, r.state]),
    [
      [0, 0, 'pending'],
      [1, 1, 'pending'],
      [2, 2, 'pending'],
    ],
  );
  assert.equal(status.quorum.required, 3);
  assert.equal(status.quorum.decided, false);
  // Re-creating the same definition is idempotent; another verification is a conflict.
  await creator.createTask(taskId, {
    ...definition,
    verification: { replicas: 3, nondeterministic: ['public/t/*'] },
  });
  await assert.rejects(
    creator.createTask(taskId, { ...definition, verification: { replicas: 2 } }),
    {
      statusCode: 409,
    },
  );
  await creator.cancelTask(taskId);
});

test('S17: a worker never claims two replicas of one task, even with claims that race', async () => {
  const taskId = await createQuorumTask(creator, { replicas: 2 });
  const a = worker(platform, 'g', 'a');
  // One call asking for two runs gets one replica.
  assert.equal((await claim(platform, a, 2)).length, 1);
  // Asking again gets nothing: the other replica stays for another worker.
  assert.equal((await claim(platform, a, 2)).length, 0);
  await claimOne(platform, worker(platform, 'g', 'b'), taskId);
  await creator.cancelTask(taskId);

  // Two claims of one worker at once, over many tasks: never two replicas of one task.
  const taskIds = await Promise.all(
    Array.from({ length: 6 }, () => createQuorumTask(creator, { replicas: 2 })),
  );
  const c = worker(platform, 'g', 'c');
  const claimed = (
    await Promise.all([claim(platform, c, 8), claim(platform, c, 8), claim(platform, c, 8)])
  ).flat();
  const ofTask = claimed.map((r) => r.taskId);
  assert.equal(new Set(ofTask).size, ofTask.length, 'one replica per task for worker g/c');
  assert.equal(ofTask.length, taskIds.length);
  for (const id of taskIds) await creator.cancelTask(id);
});

test('S17: distinctBy workerGroup keeps a second worker of the same group off the task', async () => {
  const taskId = await createQuorumTask(creator, { replicas: 2, distinctBy: 'workerGroup' });
  await claimOne(platform, worker(platform, 'group-1', 'x'), taskId);
  assert.equal((await claim(platform, worker(platform, 'group-1', 'y'))).length, 0);
  await claimOne(platform, worker(platform, 'group-2', 'x'), taskId);
  await creator.cancelTask(taskId);
});

test('S17: the trusted replica is claimable only from the trusted queue', async () => {
  const taskId = await createQuorumTask(creator, { replicas: 2, trustedTaskQueueId: TRUSTED });
  const { status } = await creator.status(taskId);
  assert.deepEqual(
    status.quorum.replicas.map((r: any) => [r.replica, r.trusted, r.taskQueueId]),
    [
      [0, false, QUEUE],
      [1, true, TRUSTED],
    ],
  );
  await claimOne(platform, worker(platform, 'g', 'u1'), taskId);
  // Untrusted workers find nothing more: replica 1 waits in the trusted queue.
  assert.equal((await claim(platform, worker(platform, 'g', 'u2'))).length, 0);
  const trusted = await claimOne(platform, worker(platform, 't', 't1', TRUSTED), taskId);
  assert.equal(trusted.runId, 1);
  await creator.cancelTask(taskId);
});

test('rerunTask refuses a quorum task: its decision is final', async () => {
  const taskId = await createQuorumTask(creator, { replicas: 2 });
  await creator.cancelTask(taskId);
  const rerun = queueClient(platform, ['queue:rerun-task:*']);
  await assert.rejects(rerun.rerunTask(taskId), { statusCode: 409 });
});
