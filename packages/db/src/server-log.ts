import { chmod, open, rename, stat, type FileHandle } from 'node:fs/promises';

/** Past this size the log is moved to `<name>.1` at the next start, so it cannot grow forever. */
const ROTATE_AT_BYTES = 10 * 1024 * 1024;

/**
 * The file that receives initdb's and the server's stdout and stderr. The children
 * write to it through an inherited descriptor, so it stays owned by us and 0600
 * (S11) even when PostgreSQL runs as another user.
 */
export class ServerLog {
  private constructor(
    readonly path: string,
    readonly handle: FileHandle,
  ) {}

  static async open(path: string): Promise<ServerLog> {
    const size = await stat(path).then(
      (info) => info.size,
      () => 0,
    );
    if (size > ROTATE_AT_BYTES) await rename(path, `${path}.1`);
    // a+ rather than a: we read the tail back for error messages.
    const handle = await open(path, 'a+', 0o600);
    await chmod(path, 0o600);
    return new ServerLog(path, handle);
  }

  /** Current end of the log, to read what a child wrote from here on. */
  async offset(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  /** The last lines written since `from`, for error messages about a failed child. */
  async tail(from: number, maxLines = 15): Promise<string> {
    const { size } = await this.handle.stat();
    const start = Math.max(from, size - 16 * 1024);
    const buffer = Buffer.alloc(Math.max(0, size - start));
    if (buffer.length > 0) await this.handle.read(buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').trimEnd().split('\n');
    return lines.slice(-maxLines).join('\n');
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
