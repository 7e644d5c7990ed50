import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { inOneDay, startRunningTask, uploadArtifact } from './artifact-helpers.js';
import { hawkHeader, SseReader, type SseEvent } from './events-helpers.js';
import {
  newTaskId,
  queueClient,
  queueWith,
  startTestPlatform,
  taskDefinition,
  WORKER_SCOPES,
  CREATE_SCOPES,
  type TestPlatform,
} from './harness.js';

let platform: TestPlatform;
let replica: TestPlatform;

before(async () => {
  platform = await startTestPlatform({ claimWorkTimeoutMs: 1000 });
  replica = await startTestPlatform({ claimWorkTimeoutMs: 1000, replicaOf: platform });
});
after(async () => {
  await replica.close();
  await platform.close();
});

const OPTIONS = { timeout: 30_000 };
const QUEUE = 'test-prov/test-worker';

function watch(p: TestPlatform, path: string, scope: string): Promise<SseReader> {
  const url = `${p.rootUrl}/api/queue/v1/${path}/events`;
  return SseReader.open(url, { authorization: hawkHeader(url, p.root, [scope]) });
}

/** Events until (and with) the first one named `name`. */
async function until(stream: SseReader, name: string): Promise<SseEvent[]> {
  const seen: SseEvent[] = [];
  for (;;) {
    const event = await stream.next();
    seen.push(event);
    if (event.event === name) return seen;
  }
}

test(
  'artifact-created: sent live when an artifact becomes readable, as Taskcluster sends it',
  OPTIONS,
  async () => {
    const running = await startRunningTask(platform);
    const { taskId, runId } = running;
    // Watched through the other replica: the announcement crosses replicas.
    const stream = await watch(replica, `task/${taskId}`, `queue:status:${taskId}`);
    try {
      assert.deepEqual(await stream.names(3), ['task-defined', 'task-pending', 'task-running']);
      const expires = inOneDay();
      await running.run.createArtifact(taskId, runId, 'public/ref', {
        storageType: 'reference',
        expires,
        contentType: 'text/html',
        url: 'https://example.com/x',
      });
      const reference = await stream.next();
      assert.equal(reference.event, 'artifact-created');
      // Not a step of the task's state: no id, so Last-Event-ID keeps naming the last state.
      assert.equal(reference.id, undefined);
      assert.deepEqual(reference.data.artifact, {
        storageType: 'reference',
        name: 'public/ref',
        expires,
        contentType: 'text/html',
      });
      assert.equal(reference.data.version, 1);
      assert.equal(reference.data.runId, runId);
      assert.equal(reference.data.workerGroup, 'test-group');
      assert.equal(reference.data.workerId, 'worker-1');
      assert.equal(reference.data.status.taskId, taskId);
      assert.equal(reference.data.task, undefined, 'artifact-created carries no task tags');

      // An object artifact is announced when its upload is finished, not when it is created.
      await uploadArtifact(platform, running, 'public/data.bin', Buffer.from('some bytes'));
      const object = await stream.next();
      assert.equal(object.event, 'artifact-created');
      assert.equal(object.data.artifact.name, 'public/data.bin');
      assert.equal(object.data.artifact.storageType, 'object');

      // Re-creating the reference with a new URL announces it again.
      await running.run.createArtifact(taskId, runId, 'public/ref', {
        storageType: 'reference',
        expires,
        contentType: 'text/html',
        url: 'https://example.com/y',
      });
      assert.equal((await stream.next()).data.artifact.name, 'public/ref');

      await running.run.reportCompleted(taskId, runId);
      const completed = await stream.next();
      assert.equal(completed.event, 'task-completed');
      assert.equal(completed.id, `${taskId}.3`);
    } finally {
      stream.close();
    }
  },
);

test(
  'task-group-resolved: once every task is resolved, again after a new task resolves',
  OPTIONS,
  async () => {
    const creator = queueClient(platform, CREATE_SCOPES);
    const worker = queueClient(platform, WORKER_SCOPES);
    const taskGroupId = newTaskId();
    const create = async (): Promise<string> => {
      const taskId = newTaskId();
      await creator.createTask(taskId, taskDefinition({ taskGroupId }));
      return taskId;
    };
    const claimAndReport = async (taskId: string, how: 'reportCompleted' | 'reportFailed') => {
      const { tasks } = await worker.claimWork(QUEUE, {
        workerGroup: 'test-group',
        workerId: 'worker-1',
        tasks: 1,
      });
      assert.equal(tasks[0]?.status.taskId, taskId);
      await queueWith(platform, tasks[0].credentials)[how](taskId, 0);
    };
    const a = await create();
    const b = await create();
    const stream = await watch(
      platform,
      `task-group/${taskGroupId}`,
      `queue:list-task-group:${taskGroupId}`,
    );
    try {
      assert.deepEqual(await stream.names(2), ['task-pending', 'task-pending']);
      await claimAndReport(a, 'reportCompleted');
      await claimAndReport(b, 'reportFailed');
      const events = await until(stream, 'task-group-resolved');
      assert.deepEqual(
        events.map((e) => e.event),
        ['task-running', 'task-completed', 'task-running', 'task-failed', 'task-group-resolved'],
        'the group resolves only after its last task, and says so once',
      );
      const resolved = events[events.length - 1]!;
      assert.equal(resolved.id, undefined);
      const { expires } = (await queueWith(platform, platform.root).getTaskGroup(taskGroupId)) as {
        expires: string;
      };
      assert.deepEqual(resolved.data, { version: 1, taskGroupId, schedulerId: '-', expires });

      // A task added later makes the group unresolved; its resolution resolves the group again.
      const c = await create();
      await claimAndReport(c, 'reportCompleted');
      assert.deepEqual(
        (await until(stream, 'task-group-resolved')).map((e) => e.event),
        ['task-defined', 'task-pending', 'task-running', 'task-completed', 'task-group-resolved'],
      );
    } finally {
      stream.close();
    }

    // A watcher arriving later hears where the group stands, its resolution included.
    const late = await watch(
      replica,
      `task-group/${taskGroupId}`,
      `queue:list-task-group:${taskGroupId}`,
    );
    try {
      const names = (await until(late, 'task-group-resolved')).map((e) => e.event).sort();
      assert.deepEqual(names, [
        'task-completed',
        'task-completed',
        'task-failed',
        'task-group-resolved',
      ]);
    } finally {
      late.close();
    }
  },
);

test('a group with a task still waiting on a dependency is not resolved', OPTIONS, async () => {
  const creator = queueClient(platform, [...CREATE_SCOPES, 'queue:cancel-task:*']);
  const worker = queueClient(platform, WORKER_SCOPES);
  const taskGroupId = newTaskId();
  const first = newTaskId();
  await creator.createTask(first, taskDefinition({ taskGroupId }));
  // all-completed: when `first` fails, `second` is never scheduled and stays unresolved.
  const second = newTaskId();
  await creator.createTask(second, taskDefinition({ taskGroupId, dependencies: [first] }));
  const stream = await watch(
    platform,
    `task-group/${taskGroupId}`,
    `queue:list-task-group:${taskGroupId}`,
  );
  try {
    assert.deepEqual((await stream.names(2)).sort(), ['task-defined', 'task-pending']);
    const { tasks } = await worker.claimWork(QUEUE, {
      workerGroup: 'test-group',
      workerId: 'worker-1',
      tasks: 1,
    });
    await queueWith(platform, tasks[0].credentials).reportFailed(first, 0);
    assert.deepEqual(await stream.names(2), ['task-running', 'task-failed']);
    // Cancelling the waiting task resolves it, and with it the group.
    await creator.cancelTask(second);
    assert.deepEqual(await stream.names(2), ['task-exception', 'task-group-resolved']);
  } finally {
    stream.close();
  }
});
