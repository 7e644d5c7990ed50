import { strict as assert } from 'node:assert';
import { Readable, Writable } from 'node:stream';
import taskcluster from 'taskcluster-client';
import {
  CREATE_SCOPES,
  WORKER_SCOPES,
  newTaskId,
  queueClient,
  queueWith,
  taskDefinition,
  type TestPlatform,
} from './harness.js';

export interface RunningTask {
  taskId: string;
  runId: number;
  credentials: { clientId: string; accessToken: string; certificate: string };
  /** A Queue client holding the run's credentials. */
  run: any;
}

/** Creates a task and claims it as worker-1: the run's credentials, as a worker gets them. */
export async function startRunningTask(
  platform: TestPlatform,
  overrides: Record<string, unknown> = {},
): Promise<RunningTask> {
  const creator = queueClient(platform, CREATE_SCOPES);
  const worker = queueClient(platform, WORKER_SCOPES);
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition(overrides));
  const { tasks } = await worker.claimWork('test-prov/test-worker', {
    workerGroup: 'test-group',
    workerId: 'worker-1',
    tasks: 1,
  });
  assert.equal(tasks.length, 1);
  assert.equal(tasks[0].status.taskId, taskId);
  return {
    taskId,
    runId: tasks[0].runId,
    credentials: tasks[0].credentials,
    run: queueWith(platform, tasks[0].credentials),
  };
}

export const inOneDay = (): string => new Date(Date.now() + 24 * 60 * 60 * 1000).toJSON();

/** An Object client as the published upload/download helpers are given one. */
export function objectClient(platform: TestPlatform, credentials: unknown): any {
  return new taskcluster.Object({ rootUrl: platform.rootUrl, credentials, retries: 0 });
}

/**
 * Uploads an object artifact exactly as a worker using taskcluster-client does:
 * createArtifact, the client's `upload` helper with the returned credentials, then
 * finishArtifact. Returns createArtifact's answer.
 */
export async function uploadArtifact(
  platform: TestPlatform,
  running: RunningTask,
  name: string,
  data: Buffer,
  contentType = 'text/plain',
  expires = inOneDay(),
): Promise<any> {
  const created = await running.run.createArtifact(running.taskId, running.runId, name, {
    storageType: 'object',
    expires,
    contentType,
    contentLength: data.length,
  });
  await taskcluster.upload({
    projectId: created.projectId,
    name: created.name,
    contentType,
    contentLength: data.length,
    expires: new Date(created.expires),
    uploadId: created.uploadId,
    object: objectClient(platform, created.credentials),
    streamFactory: async () => Readable.from([data]),
    retries: 0,
  });
  await running.run.finishArtifact(running.taskId, running.runId, name, {
    uploadId: created.uploadId,
  });
  return created;
}

/** Downloads with the client's downloadArtifact helper (which checks the sha256). */
export async function downloadArtifact(
  queue: any,
  taskId: string,
  runId: number | undefined,
  name: string,
): Promise<{ data: Buffer; contentType: string }> {
  const chunks: Buffer[] = [];
  const contentType = (await taskcluster.downloadArtifact({
    taskId,
    ...(runId === undefined ? {} : { runId }),
    name,
    queue,
    retries: 0,
    streamFactory: async () =>
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(chunk);
          done();
        },
      }),
  })) as string;
  return { data: Buffer.concat(chunks), contentType };
}

/** Grants the anonymous role what public deployments give it. */
export async function grantAnonymous(platform: TestPlatform, scopes: string[]): Promise<void> {
  const auth = new taskcluster.Auth({ rootUrl: platform.rootUrl, credentials: platform.root });
  await auth.createRole('anonymous', { scopes, description: 'public artifacts' });
}

export const anonymousQueue = (platform: TestPlatform): any =>
  new taskcluster.Queue({ rootUrl: platform.rootUrl, retries: 0 });
