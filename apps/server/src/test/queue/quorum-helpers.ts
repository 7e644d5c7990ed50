import { strict as assert } from 'node:assert';
import type { RunningTask } from './artifact-helpers.js';
import { newTaskId, queueClient, queueWith, taskDefinition, type TestPlatform } from './harness.js';

/** The queues of the quorum tests: the task's own, and a trusted one. */
export const QUEUE = 'test-prov/quorum';
export const TRUSTED = 'test-prov/quorum-trusted';

export const CREATOR_SCOPES = [
  `queue:create-task:lowest:${QUEUE}`,
  'queue:create-task:project:none',
  'queue:scheduler-id:-',
  `queue:verify-task:${QUEUE}`,
  `queue:verify-task:${TRUSTED}`,
  'queue:status:*',
  'queue:get-task:*',
  'queue:get-artifact:*',
  'queue:cancel-task-in-project:none',
];

/** A worker of `queue` named group/id, as claimWork's caller. */
export interface TestWorker {
  group: string;
  id: string;
  queue: string;
  client: any;
}

export function worker(
  platform: TestPlatform,
  group: string,
  id: string,
  queue = QUEUE,
): TestWorker {
  const client = queueClient(platform, [
    `queue:claim-work:${queue}`,
    `queue:worker-id:${group}/${id}`,
  ]);
  return { group, id, queue, client };
}

/** One claimWork call; the claimed runs as RunningTasks. */
export async function claim(
  platform: TestPlatform,
  w: TestWorker,
  tasks = 1,
): Promise<RunningTask[]> {
  const answer = await w.client.claimWork(w.queue, {
    workerGroup: w.group,
    workerId: w.id,
    tasks,
  });
  return answer.tasks.map((t: any) => ({
    taskId: t.status.taskId,
    runId: t.runId,
    credentials: t.credentials,
    run: queueWith(platform, t.credentials),
  }));
}

/** Claims exactly one run of `taskId` for the worker. */
export async function claimOne(
  platform: TestPlatform,
  w: TestWorker,
  taskId: string,
): Promise<RunningTask> {
  const runs = await claim(platform, w);
  assert.equal(runs.length, 1, `${w.group}/${w.id} claims a replica`);
  assert.equal(runs[0]!.taskId, taskId);
  return runs[0]!;
}

/** Creates a quorum task on QUEUE; returns its taskId. */
export async function createQuorumTask(
  creator: any,
  verification: Record<string, unknown>,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const taskId = newTaskId();
  await creator.createTask(
    taskId,
    taskDefinition({ taskQueueId: QUEUE, verification, ...overrides }),
  );
  return taskId;
}
