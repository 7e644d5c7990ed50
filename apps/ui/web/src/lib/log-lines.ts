/**
 * The worker's mark (apps/worker/src/logs/worker-lines.ts, S18): a line of the log is the
 * worker's exactly when it starts with this; task output can never produce it.
 */
export const WORKER_LINE_PREFIX = '[bulwark] ';

export const isWorkerLine = (line: string): boolean => line.startsWith(WORKER_LINE_PREFIX);

/**
 * Collects a streamed log into lines, chunk by chunk: bytes are decoded as UTF-8 across
 * chunk boundaries, and the last, unfinished line stays open until its newline comes.
 */
export class LineCollector {
  readonly lines: string[] = [];
  private readonly decoder = new TextDecoder();
  private partial = '';

  /** Adds a chunk; returns whether the list of lines changed. */
  push(chunk: Uint8Array): void {
    this.addText(this.decoder.decode(chunk, { stream: true }));
  }

  end(): void {
    this.addText(this.decoder.decode());
    if (this.partial) this.lines.push(this.partial);
    this.partial = '';
  }

  /** Lines so far, the unfinished one included. */
  get count(): number {
    return this.lines.length + (this.partial ? 1 : 0);
  }

  line(index: number): string {
    return index < this.lines.length ? this.lines[index]! : this.partial;
  }

  private addText(text: string): void {
    const pieces = (this.partial + text).split('\n');
    this.partial = pieces.pop() ?? '';
    for (const piece of pieces) this.lines.push(piece.endsWith('\r') ? piece.slice(0, -1) : piece);
  }
}
