import { setTimeout as sleep } from 'node:timers/promises';
import taskcluster, { type ServiceClient } from 'taskcluster-client';
import type { Credentials, ExerciseContext } from './types.js';

export const LIVE_LOG = 'public/logs/live.log';
const MAX_LOG_BYTES = 2 * 1024 * 1024;
const MAX_COUNTED_BYTES = 1024 * 1024 * 1024;
const POLL_MS = 500;

export interface TaskSpec {
  /** What the task is for, in its metadata. */
  name: string;
  /** A shell script, run with bash in the task's directory. */
  script: string;
  proxy?: boolean;
  scopes?: string[];
  env?: Record<string, string>;
  maxRunTime?: number;
  taskQueueId?: string;
  /** Files the worker publishes as artifacts after the run. */
  artifacts?: { type: 'file'; path: string; name: string }[];
  /** The payload's own resource limits (smaller than the worker's defaults). */
  resources?: { memoryMB?: number; pids?: number; cpus?: number; diskMB?: number };
  /** Count the stored log's bytes to its end (up to 1 GiB), not only the part kept. */
  countLogBytes?: boolean;
}

export interface FinishedTask {
  taskId: string;
  runId: number;
  state: string;
  /** The whole log (bounded), or undefined when it could not be read. */
  log: string | undefined;
  /** The stored log's size in bytes, when the spec asked to count it. */
  logBytes?: number;
}

export function queueFor(
  context: Pick<ExerciseContext, 'rootUrl'>,
  credentials: Credentials,
): ServiceClient {
  return new taskcluster.Queue({ rootUrl: context.rootUrl, credentials, retries: 1 });
}

/** The body of a task the red team creates: a bounded run, gone from the queue in a day. */
export function taskDefinition(context: ExerciseContext, spec: TaskSpec): Record<string, unknown> {
  const now = Date.now();
  const payload: Record<string, unknown> = {
    command: ['bash', '-c', spec.script],
    maxRunTime: spec.maxRunTime ?? 60,
  };
  if (spec.proxy) payload.features = { taskclusterProxy: true };
  if (spec.env) payload.env = spec.env;
  if (spec.artifacts) payload.artifacts = spec.artifacts;
  if (spec.resources) payload.resources = spec.resources;
  return {
    taskQueueId: spec.taskQueueId ?? context.pool,
    created: new Date(now).toJSON(),
    deadline: new Date(now + 3600_000).toJSON(),
    expires: new Date(now + 24 * 3600_000).toJSON(),
    scopes: spec.scopes ?? [],
    payload,
    metadata: {
      name: `bulwark exercise ${context.runId}: ${spec.name}`,
      description: 'a red-team task of `bulwark exercise`',
      owner: 'bulwark-exercise@localhost',
      source: 'https://localhost/bulwark-exercise',
    },
  };
}

/**
 * Creates a task with the red team's credentials and waits (in line, then bounded by its
 * maxRunTime and a margin) until it resolves; then reads its log.
 */
export async function runRedTeamTask(
  context: ExerciseContext,
  spec: TaskSpec,
): Promise<FinishedTask> {
  const queue = queueFor(context, context.redTeam);
  const taskId = taskcluster.slugid();
  await queue.createTask!(taskId, taskDefinition(context, spec));
  context.progress(`task ${taskId}: ${spec.name}`);
  const status = await waitResolved(
    context,
    queue,
    taskId,
    (spec.maxRunTime ?? 60) * 1000 + 120_000,
  );
  const runId = Math.max(0, status.runs.length - 1);
  const read = await fetchArtifact(context, queue, taskId, runId, LIVE_LOG, {
    countTo: spec.countLogBytes ? MAX_COUNTED_BYTES : MAX_LOG_BYTES,
  }).catch(() => undefined);
  const log = read?.text;
  if (log !== undefined) context.logsRead.push({ taskId, log });
  return {
    taskId,
    runId,
    state: status.state,
    log,
    ...(spec.countLogBytes && read ? { logBytes: read.bytes } : {}),
  };
}

interface Status {
  state: string;
  runs: { runId: number; state: string; resolved?: string }[];
}

export async function taskStatus(queue: ServiceClient, taskId: string): Promise<Status> {
  return ((await queue.status!(taskId)) as { status: Status }).status;
}

export async function waitResolved(
  context: ExerciseContext,
  queue: ServiceClient,
  taskId: string,
  timeoutMs: number,
): Promise<Status> {
  return waitFor(context, queue, taskId, timeoutMs, (s) =>
    ['completed', 'failed', 'exception'].includes(s.state),
  );
}

/**
 * How long a task may wait in line for the pool. The goals run side by side and their
 * tasks share the pool's few slots (two for `bulwark up`'s worker), so on a busy host a
 * task can queue behind the others for a while; each of those is bounded by its
 * maxRunTime, so the line moves, and the whole run stays bounded.
 */
const QUEUE_WAIT_MS = 360_000;

/**
 * Polls the task until `accept` holds: at most QUEUE_WAIT_MS while it is pending, then
 * `timeoutMs` from when it was first seen out of the line. Answers the last status.
 */
export async function waitFor(
  context: ExerciseContext,
  queue: ServiceClient,
  taskId: string,
  timeoutMs: number,
  accept: (status: Status) => boolean,
): Promise<Status> {
  const queuedUntil = Date.now() + QUEUE_WAIT_MS;
  let until: number | undefined;
  for (;;) {
    const status = await taskStatus(queue, taskId);
    if (accept(status) || context.signal.aborted) return status;
    const now = Date.now();
    if (until === undefined && status.state !== 'pending') until = now + timeoutMs;
    if (now > (until ?? queuedUntil)) return status;
    await sleep(POLL_MS);
  }
}

/** A run's log through the queue's getArtifact (signed, so redirects need no header). */
export function readLog(
  context: ExerciseContext,
  queue: ServiceClient,
  taskId: string,
  runId: number,
): Promise<string> {
  return readArtifact(context, queue, taskId, runId, LIVE_LOG);
}

/** An artifact (bounded), following redirects only on the deployment's own origin. */
export async function readArtifact(
  context: ExerciseContext,
  queue: ServiceClient,
  taskId: string,
  runId: number,
  name: string,
): Promise<string> {
  return (await fetchArtifact(context, queue, taskId, runId, name, { countTo: MAX_LOG_BYTES }))
    .text;
}

/**
 * An artifact's first MAX_LOG_BYTES as text, and its size counted up to `countTo` (the
 * rest is read and dropped): the exercise holds at most 2 MiB of any answer.
 */
async function fetchArtifact(
  context: ExerciseContext,
  queue: ServiceClient,
  taskId: string,
  runId: number,
  name: string,
  options: { countTo: number },
): Promise<{ text: string; bytes: number }> {
  const url = queue.buildSignedUrl(queue.getArtifact!, taskId, runId, name);
  assertOnDeployment(context.rootUrl, url);
  const response = await fetch(url, { redirect: 'manual' });
  let answer = response;
  // Follow the queue's redirects by hand, and only on the deployment's own origin.
  for (let hops = 0; hops < 5 && answer.status >= 300 && answer.status < 400; hops++) {
    const next = new URL(answer.headers.get('location') ?? '', url).toString();
    assertOnDeployment(context.rootUrl, next);
    answer = await fetch(next, { redirect: 'manual' });
  }
  if (!answer.ok || !answer.body) throw new Error(`the artifact answered ${answer.status}`);
  const reader = answer.body.getReader();
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let bytes = 0;
  for (;;) {
    const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
    if (done || !value) break;
    bytes += value.byteLength;
    if (kept < MAX_LOG_BYTES) {
      chunks.push(value);
      kept += value.byteLength;
    }
    if (bytes >= options.countTo) {
      await reader.cancel();
      break;
    }
  }
  return { text: Buffer.concat(chunks).toString('utf8'), bytes };
}

/** Safe by construction: the exercise never sends a request anywhere but the deployment. */
export function assertOnDeployment(rootUrl: string, url: string): void {
  if (new URL(url).origin !== new URL(rootUrl).origin) {
    throw new Error(`refusing a request outside the deployment: ${new URL(url).origin}`);
  }
}

/** Lines of a task's output that start with `marker`, as `{method: rest}`. */
export function markedLines(log: string, marker: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of log.split('\n')) {
    const at = line.indexOf(`${marker} `);
    if (at !== 0) continue;
    const [method = '', ...rest] = line.slice(marker.length + 1).split(' ');
    found.set(method, rest.join(' '));
  }
  return found;
}

/** A task script that runs a Python program (the system's python3: the sandbox binds /usr). */
export function python(program: string): string {
  return `exec /usr/bin/python3 - <<'EXERCISE_PYTHON'\n${program}\nEXERCISE_PYTHON\n`;
}
