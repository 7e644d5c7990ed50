import { mkdir } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import taskcluster, { type ServiceClient } from 'taskcluster-client';
import { fileWithProgress } from './progress.js';

export const LIVE_LOG = 'public/logs/live.log';
const POLL_MS = 250;

export interface RunStatus {
  runId: number;
  state: string;
  reasonCreated?: string;
  reasonResolved?: string;
}

export interface TaskStatus {
  taskId: string;
  state: string;
  runs: RunStatus[];
}

export const RESOLVED = new Set(['completed', 'failed', 'exception']);

export async function taskStatus(queue: ServiceClient, taskId: string): Promise<TaskStatus> {
  return ((await queue.status!(taskId)) as { status: TaskStatus }).status;
}

/** Waits until `accept` holds for the task's status; polls, bounded by `timeoutMs`. */
export async function waitForStatus(
  queue: ServiceClient,
  taskId: string,
  accept: (status: TaskStatus) => boolean,
  timeoutMs: number,
): Promise<TaskStatus> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const status = await taskStatus(queue, taskId);
    if (accept(status) || Date.now() > until) return status;
    await sleep(POLL_MS);
  }
}

/**
 * The URL of `getArtifact` for a run: signed when there are credentials, so that
 * fetch can follow the queue's redirects (to a worker's live log, a signed blob URL,
 * or a link's target) without sending a header anywhere else.
 */
export function artifactUrl(
  queue: ServiceClient,
  signed: boolean,
  taskId: string,
  runId: number,
  name: string,
): string {
  return signed
    ? queue.buildSignedUrl(queue.getArtifact!, taskId, runId, name)
    : queue.buildUrl(queue.getArtifact!, taskId, runId, name);
}

/**
 * Copies a run's log to `out` as it is written: the live log while the run goes on,
 * the uploaded log afterwards (the same artifact name serves both). Answers the
 * text's last `[bulwark] exit code N`, which the worker writes after the task ends.
 */
export async function streamLog(
  queue: ServiceClient,
  signed: boolean,
  taskId: string,
  runId: number,
  out: NodeJS.WritableStream,
  options: { waitMs: number },
): Promise<{ found: boolean; exitCode: number | undefined }> {
  const until = Date.now() + options.waitMs;
  for (;;) {
    const response = await fetch(artifactUrl(queue, signed, taskId, runId, LIVE_LOG));
    if (response.ok && response.body) {
      let tail = '';
      let exitCode: number | undefined;
      const decoder = new TextDecoder();
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        out.write(chunk);
        // Only the worker's own line counts; the last one wins, so a task printing
        // the same words earlier changes nothing.
        tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4096);
        for (const match of tail.matchAll(/^\[bulwark\] exit code (\d+)$/gm)) {
          exitCode = Number(match[1]);
        }
      }
      return { found: true, exitCode };
    }
    await response.body?.cancel();
    // 404: the worker has not published the log yet; anything else is final.
    if (response.status !== 404 || Date.now() > until) return { found: false, exitCode: undefined };
    await sleep(POLL_MS);
  }
}

export interface ArtifactEntry {
  name: string;
  storageType: string;
  contentType: string;
  expires: string;
}

export async function listAllArtifacts(
  queue: ServiceClient,
  taskId: string,
  runId: number,
): Promise<ArtifactEntry[]> {
  const all: ArtifactEntry[] = [];
  let continuationToken: string | undefined;
  do {
    const page = (await queue.listArtifacts!(taskId, runId, {
      ...(continuationToken ? { continuationToken } : {}),
    })) as { artifacts: ArtifactEntry[]; continuationToken?: string };
    all.push(...page.artifacts);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return all;
}

/**
 * Downloads one artifact to `<dir>/<path>`, where `path` is what the caller derived
 * from the name; it must stay inside `dir` whatever the name holds (S12). Object
 * artifacts are checked against their SHA-256 by the client.
 */
export async function downloadTo(
  queue: ServiceClient,
  taskId: string,
  runId: number,
  name: string,
  dir: string,
  path: string,
): Promise<string> {
  const root = resolve(dir);
  const target = resolve(root, path);
  if (!target.startsWith(root + sep) || relative(root, target).startsWith('..')) {
    throw new Error(`the artifact ${name} would be saved outside ${dir}`);
  }
  await mkdir(dirname(target), { recursive: true });
  await taskcluster.downloadArtifact({
    taskId,
    runId,
    name,
    queue,
    retries: 2,
    // A retry starts the file again from its first byte.
    streamFactory: async () => fileWithProgress(target, name),
  });
  return target;
}
