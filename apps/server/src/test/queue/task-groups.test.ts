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
  creator = queueClient(platform, ['queue:create-task:*', 'queue:scheduler-id:*']);
  admin = queueWith(platform, platform.root);
});
after(() => platform.close());

/** A fresh group of `n` tasks under `schedulerId` on `taskQueueId`. */
async function makeGroup(
  n: number,
  options: { schedulerId?: string; taskQueueId?: string } = {},
): Promise<{ taskGroupId: string; taskIds: string[] }> {
  const taskGroupId = newTaskId();
  const taskIds = Array.from({ length: n }, newTaskId);
  for (const taskId of taskIds) {
    await creator.createTask(
      taskId,
      taskDefinition({
        taskGroupId,
        schedulerId: options.schedulerId ?? 'sched',
        ...(options.taskQueueId ? { taskQueueId: options.taskQueueId } : {}),
      }),
    );
  }
  return { taskGroupId, taskIds };
}

test('listTaskGroup pages through the group; getTaskGroup describes it', async () => {
  const { taskGroupId, taskIds } = await makeGroup(7);
  const reader = queueClient(platform, [`queue:list-task-group:${taskGroupId}`]);
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page: any = await reader.listTaskGroup(taskGroupId, {
      limit: '3',
      ...(token ? { continuationToken: token } : {}),
    });
    pages++;
    assert.equal(page.taskGroupId, taskGroupId);
    assert.equal(page.schedulerId, 'sched');
    assert.ok(page.tasks.length <= 3);
    seen.push(...page.tasks.map((t: any) => t.status.taskId));
    assert.ok(page.tasks.every((t: any) => t.task.taskGroupId === taskGroupId));
    token = page.continuationToken;
  } while (token && pages < 10);
  assert.equal(pages, 3);
  assert.deepEqual(seen, [...taskIds].sort());

  const group = await reader.getTaskGroup(taskGroupId);
  assert.equal(group.taskGroupId, taskGroupId);
  assert.equal(group.schedulerId, 'sched');
  assert.equal(group.sealed, undefined);
  assert.ok(new Date(group.expires) > new Date());

  await assert.rejects(queueClient(platform, ['queue:unrelated']).getTaskGroup(taskGroupId), {
    statusCode: 403,
    code: 'InsufficientScopes',
  });
  await assert.rejects(admin.getTaskGroup(newTaskId()), { statusCode: 404 });
  await assert.rejects(admin.listTaskGroup(newTaskId()), { statusCode: 404 });
  await assert.rejects(admin.listTaskGroup(taskGroupId, { continuationToken: 'eHl6' }), {
    statusCode: 400,
  });
});

test('sealTaskGroup needs the scheduler’s scope, is idempotent, and stops createTask', async () => {
  const { taskGroupId } = await makeGroup(1);
  await assert.rejects(
    queueClient(platform, [`queue:seal-task-group:other/${taskGroupId}`]).sealTaskGroup(
      taskGroupId,
    ),
    { statusCode: 403, code: 'InsufficientScopes' },
  );
  const sealer = queueClient(platform, [`queue:seal-task-group:sched/${taskGroupId}`]);
  const sealed = await sealer.sealTaskGroup(taskGroupId);
  assert.ok(sealed.sealed);
  const again = await sealer.sealTaskGroup(taskGroupId);
  assert.equal(again.sealed, sealed.sealed, 'sealing again keeps the first date');
  assert.equal((await admin.getTaskGroup(taskGroupId)).sealed, sealed.sealed);
  await assert.rejects(
    creator.createTask(newTaskId(), taskDefinition({ taskGroupId, schedulerId: 'sched' })),
    { statusCode: 409, code: 'RequestConflict' },
  );
  await assert.rejects(admin.sealTaskGroup(newTaskId()), { statusCode: 404 });
});

test('cancelTaskGroup cancels every unresolved task of a sealed group', async () => {
  const queueId = 'test-prov/group-cancel';
  const { taskGroupId, taskIds } = await makeGroup(4, { taskQueueId: queueId });
  // One more task that stays unscheduled: it depends on a task outside the group.
  const outside = newTaskId();
  await creator.createTask(outside, taskDefinition({ taskQueueId: 'test-prov/elsewhere' }));
  const waiting = newTaskId();
  await creator.createTask(
    waiting,
    taskDefinition({ taskGroupId, schedulerId: 'sched', dependencies: [outside] }),
  );
  const worker = queueClient(platform, [`queue:claim-work:${queueId}`, 'queue:worker-id:g/c']);
  const { tasks } = await worker.claimWork(queueId, { workerGroup: 'g', workerId: 'c', tasks: 2 });
  assert.equal(tasks.length, 2);
  const [done, running] = tasks;
  await queueWith(platform, done.credentials).reportCompleted(done.status.taskId, 0);

  const canceller = queueClient(platform, [`queue:cancel-task-group:sched/${taskGroupId}`]);
  await assert.rejects(canceller.cancelTaskGroup(taskGroupId), {
    statusCode: 409,
    code: 'RequestConflict',
  });
  await admin.sealTaskGroup(taskGroupId);
  await assert.rejects(
    queueClient(platform, [`queue:cancel-task-group:other/${taskGroupId}`]).cancelTaskGroup(
      taskGroupId,
    ),
    { statusCode: 403, code: 'InsufficientScopes' },
  );
  const result = await canceller.cancelTaskGroup(taskGroupId);
  assert.equal(result.taskGroupId, taskGroupId);
  assert.equal(result.taskGroupSize, 5);
  assert.equal(result.cancelledCount, 4);
  const expected = [...taskIds.filter((id) => id !== done.status.taskId), waiting].sort();
  assert.deepEqual([...result.taskIds].sort(), expected);
  for (const id of expected) {
    const { status } = await admin.status(id);
    assert.equal(status.state, 'exception', id);
    assert.equal(status.runs.at(-1).reasonResolved, 'canceled');
  }
  assert.equal((await admin.status(done.status.taskId)).status.state, 'completed');
  // The cancelled run's credentials die with it (S3).
  await assert.rejects(
    queueWith(platform, running.credentials).reportCompleted(running.status.taskId, 0),
    { statusCode: 401 },
  );
  const again = await canceller.cancelTaskGroup(taskGroupId);
  assert.equal(again.cancelledCount, 0);
  assert.deepEqual(again.taskIds, []);
  await assert.rejects(admin.cancelTaskGroup(newTaskId()), { statusCode: 404 });
});

test('changeTaskGroupPriority reprioritizes the unresolved tasks of the group', async () => {
  const queueId = 'test-prov/group-prio';
  const before = await makeGroup(2, { taskQueueId: queueId });
  const { taskGroupId, taskIds } = await makeGroup(3, { taskQueueId: queueId });
  await admin.cancelTask(taskIds[0]);
  await assert.rejects(
    priorityClient(platform, [
      `queue:change-task-group-priority:other/${taskGroupId}`,
    ]).changeTaskGroupPriority(taskGroupId, { newPriority: 'high' }),
    { statusCode: 403, code: 'InsufficientScopes' },
  );
  const changer = priorityClient(platform, [
    `queue:change-task-group-priority:sched/${taskGroupId}`,
  ]);
  const result = await changer.changeTaskGroupPriority(taskGroupId, { newPriority: 'high' });
  assert.equal(result.schedulerId, 'sched');
  assert.equal(result.newPriority, 'high');
  assert.equal(result.tasksAffected, 2);
  assert.deepEqual([...result.taskIds].sort(), taskIds.slice(1).sort());
  // The group's tasks now come before the older tasks of the same queue.
  const worker = queueClient(platform, [`queue:claim-work:${queueId}`, 'queue:worker-id:g/p']);
  const { tasks } = await worker.claimWork(queueId, { workerGroup: 'g', workerId: 'p', tasks: 4 });
  assert.deepEqual(
    tasks.slice(0, 2).map((t: any) => t.status.taskId),
    taskIds.slice(1),
  );
  assert.deepEqual(
    tasks.slice(2).map((t: any) => t.status.taskId),
    before.taskIds,
  );
  await assert.rejects(changer.changeTaskGroupPriority(newTaskId(), { newPriority: 'high' }), {
    statusCode: 404,
  });
});
