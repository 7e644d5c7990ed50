import { randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertSha256Hex,
  clampRange,
  type BlobInfo,
  type BlobSource,
  type BlobStore,
  type ByteRange,
  type PutOptions,
} from './blob-store.js';
import { MeasuringStream } from './measure.js';

export interface FilesystemBlobStoreOptions {
  /** The store's own directory (the platform uses `<data-dir>/blobs`); created 0700. */
  directory: string;
  /** Unfinished temporary files older than this are removed when the store opens. */
  staleTemporaryMs?: number;
}

const DIRECTORY_MODE = 0o700;
const FILE_MODE = 0o600;
// A blob is never reached through a symbolic link, even one planted inside the store.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;
const CREATE_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Blobs as files named by their digest under `<directory>/sha256/<first two hex>/`.
 * A write goes to a private temporary file, is fsynced, verified, then renamed into
 * place and the directory fsynced, so a crash leaves either the whole verified blob
 * or nothing under its name. Files are 0600 and directories 0700 (S11).
 */
export class FilesystemBlobStore implements BlobStore {
  readonly kind = 'filesystem';
  private readonly blobsDir: string;
  private readonly tmpDir: string;

  private constructor(private readonly directory: string) {
    this.blobsDir = join(directory, 'sha256');
    this.tmpDir = join(directory, 'tmp');
  }

  static async open(options: FilesystemBlobStoreOptions): Promise<FilesystemBlobStore> {
    const store = new FilesystemBlobStore(options.directory);
    for (const dir of [store.directory, store.blobsDir, store.tmpDir]) await privateDirectory(dir);
    await store.removeStaleTemporaryFiles(options.staleTemporaryMs ?? 24 * 60 * 60 * 1000);
    return store;
  }

  async put(source: BlobSource, options: PutOptions = {}): Promise<BlobInfo> {
    const tmpPath = join(this.tmpDir, `${randomBytes(16).toString('hex')}.part`);
    const handle = await open(tmpPath, CREATE_FLAGS, FILE_MODE);
    let info: BlobInfo;
    try {
      const measure = new MeasuringStream(options);
      await pipeline(toReadable(source), measure, fileSink(handle));
      await handle.sync();
      await handle.close();
      info = measure.result();
      const dir = this.shardDir(info.sha256);
      await privateDirectory(dir);
      await rename(tmpPath, join(dir, info.sha256));
      await syncDirectory(dir);
    } catch (err) {
      await handle.close().catch(() => undefined);
      await unlink(tmpPath).catch(() => undefined);
      throw err;
    }
    return info;
  }

  async get(sha256: string, range?: ByteRange): Promise<Readable | undefined> {
    assertSha256Hex(sha256);
    let handle;
    try {
      handle = await open(this.pathOf(sha256), READ_FLAGS);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    if (!range) return handle.createReadStream();
    const size = (await handle.stat()).size;
    const clamped = clampRange(range, size);
    if (!clamped) {
      await handle.close();
      throw new RangeError('the range is outside the blob');
    }
    return createReadStream('', { fd: handle, start: clamped.start, end: clamped.end });
  }

  async stat(sha256: string): Promise<BlobInfo | undefined> {
    assertSha256Hex(sha256);
    try {
      const s = await lstat(this.pathOf(sha256));
      return s.isFile() ? { sha256, size: s.size } : undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async exists(sha256: string): Promise<boolean> {
    return (await this.stat(sha256)) !== undefined;
  }

  async delete(sha256: string): Promise<boolean> {
    assertSha256Hex(sha256);
    try {
      await unlink(this.pathOf(sha256));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  private shardDir(sha256: string): string {
    return join(this.blobsDir, sha256.slice(0, 2));
  }

  private pathOf(sha256: string): string {
    return join(this.shardDir(sha256), sha256);
  }

  /** Leftovers of writes a crash interrupted; young ones may belong to another process. */
  private async removeStaleTemporaryFiles(olderThanMs: number): Promise<void> {
    const cutoff = Date.now() - olderThanMs;
    for (const name of await readdir(this.tmpDir)) {
      if (!/^[0-9a-f]{32}\.part$/.test(name)) continue;
      const path = join(this.tmpDir, name);
      const s = await stat(path).catch(() => undefined);
      if (s && s.mtimeMs < cutoff) await rm(path, { force: true });
    }
  }
}

function toReadable(source: BlobSource): Readable {
  return source instanceof Readable ? source : Readable.from(source, { objectMode: false });
}

/** Writes each chunk before asking for the next: memory stays at one chunk. */
function fileSink(handle: Awaited<ReturnType<typeof open>>): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      writeFully(handle, chunk).then(
        () => done(),
        (err: unknown) => done(err as Error),
      );
    },
  });
}

async function writeFully(handle: Awaited<ReturnType<typeof open>>, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

async function privateDirectory(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: DIRECTORY_MODE });
  // mkdir's mode is filtered by the umask and ignored for existing directories.
  await chmod(path, DIRECTORY_MODE);
}

/** Makes a rename durable: the directory entry itself must reach the disk. */
async function syncDirectory(path: string): Promise<void> {
  const dir = await open(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ELOOP';
}
