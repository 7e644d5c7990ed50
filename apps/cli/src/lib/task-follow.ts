import { mkdir } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import taskcluster, { type ServiceClient } from 'taskcluster-client';
import { LogRenderer, type LogRenderOptions } from './log-render.js';
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

/**
 * Waits until `accept` holds for the task's status; polls, bounded by `timeoutMs`, and
 * stops early (with the latest status) when `signal` is aborted.
 */
export async function waitForStatus(
  queue: ServiceClient,
  taskId: string,
  accept: (status: TaskStatus) => boolean,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<TaskStatus> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const status = await taskStatus(queue, taskId);
    if (accept(status) || Date.now() > until || signal?.aborted) return status;
    await sleep(POLL_MS, undefined, signal ? { signal } : {}).catch(() => undefined);
  }
}

/**
 * Where an artifact is saved below the chosen directory, by `task run --out` and
 * `task artifacts --download` alike: its name without the `public/` every artifact
 * `task run` declares starts with (so `--artifact dist/app` lands in `dist/app`).
 */
export function artifactPath(name: string): string {
  return name.startsWith('public/') ? name.slice('public/'.length) : name;
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
 * Shows a run's log on `out` as it is written: the live log while the run goes on, the
 * uploaded log afterwards (the same artifact name serves both). The task's control
 * characters are shown, not acted on, unless `raw` (S18; see LogRenderer). Answers the
 * last `[bulwark] exit code N` among the worker's own lines, which the worker writes
 * after the task ends; no task output can stand for one.
 */
export async function streamLog(
  queue: ServiceClient,
  signed: boolean,
  taskId: string,
  runId: number,
  out: NodeJS.WritableStream,
  options: { waitMs: number; signal?: AbortSignal } & LogRenderOptions,
): Promise<{ found: boolean; exitCode: number | undefined }> {
  const until = Date.now() + options.waitMs;
  const { signal } = options;
  try {
    for (;;) {
      const url = artifactUrl(queue, signed, taskId, runId, LIVE_LOG);
      const response = await fetch(url, signal ? { signal } : {});
      if (response.ok && response.body) {
        const renderer = new LogRenderer(out, options);
        try {
          for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
            renderer.write(chunk);
          }
        } finally {
          renderer.end();
        }
        return { found: true, exitCode: renderer.exitCode };
      }
      await response.body?.cancel();
      // 404: the worker has not published the log yet; anything else is final.
      if (response.status !== 404 || Date.now() > until) {
        return { found: false, exitCode: undefined };
      }
      await sleep(POLL_MS, undefined, signal ? { signal } : {});
    }
  } catch (err) {
    // Stopped following (Ctrl-C, the task resolved elsewhere): what was shown stands.
    if (signal?.aborted) return { found: true, exitCode: undefined };
    throw err;
  }
}

/** How logs are shown on this process's stdout: colour only on a terminal, unless NO_COLOR. */
export function stdoutRendering(raw: boolean): LogRenderOptions {
  const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
  return { raw, color };
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
