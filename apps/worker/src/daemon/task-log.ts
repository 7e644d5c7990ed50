import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { SecretMasker } from '../logs/secret-masker.js';
import { WorkerMarkGuard, workerLine } from '../logs/worker-lines.js';

/** What a log keeps before it stops recording task output (the disk is the worker's). */
export const DEFAULT_MAX_LOG_BYTES = 256 * 1024 * 1024;
const READ_CHUNK = 64 * 1024;

/**
 * A task's log: everything the task writes, and what the worker says about it, passed
 * through the secret masker (S15) into a file. Readers follow the file itself up to
 * the bytes known to be written, so a reader that joins late gets the whole log and
 * nothing is held in memory; nothing unmasked ever leaves this object.
 *
 * The worker's lines are marked so that no task output can pass for one (S18; the rule
 * a reader applies is in ../logs/worker-lines.ts): each starts a line of its own with
 * `[bulwark] `, and the task's output never contains that mark.
 */
export class TaskLog {
  readonly masker = new SecretMasker();
  private readonly guard = new WorkerMarkGuard();
  private readonly file: WriteStream;
  /** Bytes handed to the file (the log's size once they are written). */
  private accepted = 0;
  /** Bytes the file has confirmed written; readers never read past this. */
  private written = 0;
  private closed = false;
  private truncated = false;
  /** Whether the last byte accepted ends a line (or nothing was accepted yet). */
  private atLineStart = true;
  private readonly waiting = new Set<() => void>();
  /** The file exists once this settles (the stream opens it asynchronously). */
  private readonly opened: Promise<boolean>;
  /** The task's own output goes through here. */
  readonly output: Writable;

  constructor(
    readonly path: string,
    private readonly maxBytes = DEFAULT_MAX_LOG_BYTES,
  ) {
    this.file = createWriteStream(path, { mode: 0o600, flags: 'wx' });
    this.opened = new Promise((resolve) => {
      this.file.once('ready', () => resolve(true));
      this.file.once('error', () => resolve(false));
    });
    this.output = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.appendTask(this.guard.write(this.masker.write(chunk)));
        done();
      },
    });
  }

  /**
   * A line from the worker itself, marked so it cannot be mistaken for task output.
   * Task output that was still held back (the possible start of a secret or of the
   * mark) is written first, masked as at the end of a stream: the worker speaks before
   * the task starts, after it ended, and when its output is cut off.
   */
  note(line: string): void {
    if (this.closed) return;
    this.flushTask();
    this.appendWorker(line);
  }

  /** The log's size so far. */
  get size(): number {
    return this.accepted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flushTask();
    this.closed = true;
    this.file.end();
    await finished(this.file);
    this.wakeReaders();
  }

  /**
   * The log from its first byte, following it as it grows until it is closed or the
   * signal aborts. Reads the file, so a slow reader never holds the writer back.
   */
  async *follow(signal?: AbortSignal): AsyncGenerator<Buffer> {
    if (!(await this.opened)) return;
    const handle = await open(this.path, 'r');
    try {
      let position = 0;
      for (;;) {
        while (position < this.written) {
          const buffer = Buffer.alloc(Math.min(READ_CHUNK, this.written - position));
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
          if (bytesRead === 0) break;
          position += bytesRead;
          yield buffer.subarray(0, bytesRead);
        }
        if ((this.closed && position >= this.written) || signal?.aborted) return;
        await this.nextWrite(signal);
      }
    } finally {
      await handle.close();
    }
  }

  private nextWrite(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.waiting.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiting.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private wakeReaders(): void {
    for (const wake of [...this.waiting]) wake();
  }

  private flushTask(): void {
    this.appendTask(this.guard.write(this.masker.end()) + this.guard.end());
  }

  /**
   * Worker lines pass the cap, so the log always says how the task ended. The text is
   * masked on its own (S15), and the mark put before it afterwards, so that no secret
   * can mask the mark away.
   */
  private appendWorker(text: string): void {
    // Task text still held back never enters a worker line: note() wrote it out
    // already, and past the cap it is dropped.
    this.masker.end();
    this.guard.end();
    const masked = this.masker.write(text) + this.masker.end();
    this.write(`${this.atLineStart ? '' : '\n'}${workerLine(masked)}`);
  }

  private appendTask(text: string): void {
    if (text.length === 0 || this.closed) return;
    if (this.accepted >= this.maxBytes) {
      if (!this.truncated) {
        this.truncated = true;
        this.appendWorker(`the log reached ${this.maxBytes} bytes; further task output is dropped`);
      }
      return;
    }
    this.write(text);
  }

  private write(text: string): void {
    const bytes = Buffer.from(text);
    this.accepted += bytes.length;
    this.atLineStart = text.endsWith('\n');
    this.file.write(bytes, () => {
      this.written += bytes.length;
      this.wakeReaders();
    });
  }
}
