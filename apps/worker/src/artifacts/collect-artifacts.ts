import { constants } from 'node:fs';
import { lstat, open, readdir, realpath, type FileHandle } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { lookup } from 'mime-types';
import type { ArtifactSpec } from '../payload/payload.js';
import { artifactNameProblem } from './artifact-name.js';
import { isWorkerLogName, WORKER_LOG_PREFIX } from './worker-log-names.js';

/** A regular file inside the task directory, to upload under `name`. */
export interface ArtifactFile {
  name: string;
  path: string;
  size: number;
  contentType: string;
  expires: string;
}

/** An artifact that could not be collected: it becomes an `error` artifact. */
export interface ArtifactError {
  name: string;
  reason: 'file-missing-on-worker' | 'invalid-resource-on-worker' | 'too-large-file-on-worker';
  message: string;
  expires: string;
}

export interface CollectLimits {
  /** Files one task may publish, all specs together. */
  maxFiles: number;
  /**
   * Bytes one task may publish, all files together, counted by their apparent size: a
   * sparse file counts in full, as the store would keep it in full (S19).
   */
  maxBytes: number;
  /** What the byte limit is, in the words of the error artifact. */
  bytesLimitName?: string;
}

export const DEFAULT_COLLECT_LIMITS: CollectLimits = {
  maxFiles: 1000,
  maxBytes: 8 * 1024 * 1024 * 1024,
};

const MAX_DEPTH = 64;

/**
 * Turns the payload's artifact list into files to upload, after the task has ended
 * (nothing it started is left, so nothing changes under us). The worker reads as
 * root, so the task must not be able to point it anywhere else (S12): a path that
 * passes through a symbolic link, or names a link, a FIFO or a device, is refused,
 * and links found inside a directory are skipped, never followed.
 */
export async function collectArtifacts(
  taskDir: string,
  specs: readonly ArtifactSpec[],
  taskExpires: string,
  limits: CollectLimits = DEFAULT_COLLECT_LIMITS,
): Promise<{ files: ArtifactFile[]; errors: ArtifactError[]; skipped: string[] }> {
  const root = await realpath(taskDir);
  const files: ArtifactFile[] = [];
  const errors: ArtifactError[] = [];
  const skipped: string[] = [];
  let bytes = 0;
  for (const spec of specs) {
    const expires = earliest(spec.expires, taskExpires);
    const fail = (reason: ArtifactError['reason'], message: string): void => {
      errors.push({ name: spec.name, reason, message, expires });
    };
    const path = join(root, spec.path);
    const info = await lstat(path).catch(() => undefined);
    if (!info) {
      fail('file-missing-on-worker', `${spec.path} does not exist`);
      continue;
    }
    if ((await realpath(path).catch(() => '')) !== path) {
      fail('invalid-resource-on-worker', `${spec.path} is or passes through a symbolic link`);
      continue;
    }
    const found: { name: string; path: string; size: number }[] = [];
    if (spec.type === 'file') {
      if (!info.isFile()) {
        fail('invalid-resource-on-worker', `${spec.path} is not a regular file`);
        continue;
      }
      found.push({ name: spec.name, path, size: info.size });
    } else {
      if (!info.isDirectory()) {
        fail('invalid-resource-on-worker', `${spec.path} is not a directory`);
        continue;
      }
      await walk(
        path,
        0,
        (file, size) => {
          const name = `${spec.name}/${relative(path, file)}`;
          const problem = artifactNameProblem(name);
          if (problem) skipped.push(`${relative(root, file)}: the artifact name ${problem}`);
          else if (isWorkerLogName(name)) {
            // S18: a directory named `public` may not put a file in the worker's log.
            skipped.push(`${relative(root, file)}: ${name} is under ${WORKER_LOG_PREFIX}`);
          } else found.push({ name, path: file, size });
        },
        (file, why) => skipped.push(`${relative(root, file)}: ${why}`),
      );
    }
    for (const file of found) {
      if (files.length >= limits.maxFiles) {
        skipped.push(`${relative(root, file.path)}: more than ${limits.maxFiles} artifact files`);
        continue;
      }
      if (bytes + file.size > limits.maxBytes) {
        errors.push({
          name: file.name,
          reason: 'too-large-file-on-worker',
          message: `publishing it would exceed ${limits.bytesLimitName ?? `this pool's ${limits.maxBytes} artifact bytes`} (artifacts count by their apparent size, sparse files in full)`,
          expires,
        });
        continue;
      }
      bytes += file.size;
      files.push({
        ...file,
        expires,
        contentType: spec.contentType ?? (lookup(file.path) || 'application/octet-stream'),
      });
    }
  }
  return { files, errors, skipped };
}

/** Regular files under `dir`, depth-first; links and special files are reported, not followed. */
async function walk(
  dir: string,
  depth: number,
  onFile: (path: string, size: number) => void,
  onSkip: (path: string, why: string) => void,
): Promise<void> {
  if (depth > MAX_DEPTH) return onSkip(dir, `nested deeper than ${MAX_DEPTH} directories`);
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, depth + 1, onFile, onSkip);
    else if (entry.isFile()) onFile(path, (await lstat(path)).size);
    else if (entry.isSymbolicLink()) onSkip(path, 'a symbolic link is never followed');
    else onSkip(path, 'not a regular file');
  }
}

/**
 * Opens a collected file for reading without following a link and without blocking
 * on a FIFO, and checks it is still the regular file that was collected.
 */
export async function openArtifactFile(file: ArtifactFile): Promise<FileHandle> {
  const handle = await open(
    file.path,
    constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
  );
  const info = await handle.stat();
  if (!info.isFile() || info.size !== file.size) {
    await handle.close();
    throw new Error(`${file.name} changed after it was collected`);
  }
  return handle;
}

function earliest(wanted: string | undefined, taskExpires: string): string {
  if (wanted === undefined) return taskExpires;
  return Date.parse(wanted) < Date.parse(taskExpires) ? wanted : taskExpires;
}
