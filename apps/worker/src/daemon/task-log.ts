import { createWriteStream, type WriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { SecretMasker } from '../logs/secret-masker.js';

/**
 * A task's log: everything the task writes, and what the worker says about it, passed
 * through the secret masker (S15) into a file. Readers that want it live subscribe to
 * the masked text; nothing unmasked ever leaves this object.
 */
export class TaskLog {
  readonly masker = new SecretMasker();
  private readonly file: WriteStream;
  private readonly listeners = new Set<(text: string) => void>();
  /** The task's own output goes through here. */
  readonly output: Writable;

  constructor(readonly path: string) {
    this.file = createWriteStream(path, { mode: 0o600, flags: 'wx' });
    this.output = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.emit(this.masker.write(chunk));
        done();
      },
    });
  }

  /** A line from the worker itself, marked so it cannot be mistaken for task output. */
  note(line: string): void {
    this.emit(this.masker.write(`[bulwark] ${line}\n`));
  }

  onText(listener: (text: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.emit(this.masker.end());
    this.file.end();
    await finished(this.file);
  }

  private emit(text: string): void {
    if (text.length === 0) return;
    this.file.write(text);
    for (const listener of this.listeners) listener(text);
  }
}
