import { visibleControls, WORKER_LINE_PREFIX } from '@bulwark/worker';

export interface LogRenderOptions {
  /** Pass the log's bytes through untouched, control characters and all. */
  raw: boolean;
  /** Show the worker's lines in colour (a terminal that did not ask for none). */
  color: boolean;
}

const WORKER_STYLE = '\x1b[1;36m';
const RESET = '\x1b[0m';
const EXIT_LINE = /^\[bulwark\] exit code (\d+)$/;

/**
 * Shows a run's log on the user's terminal (S18). The task's control characters never
 * act there: each is shown as `\xNN` / `\uNNNN` (so a task cannot move the cursor,
 * clear a line, hide text or retitle the window), unless `raw` asks for the bytes as
 * they are. The worker's lines are recognised by the rule the worker keeps
 * (apps/worker/src/logs/worker-lines.ts): a line that starts with `[bulwark] ` is the
 * worker's, and no task output contains the mark. They are shown in colour on a
 * terminal; in plain text the mark itself tells them, as no task line can start with
 * it once its carriage returns are shown.
 *
 * Remembers the last `[bulwark] exit code N` among the worker's lines only.
 */
export class LogRenderer {
  /** Invalid UTF-8 becomes U+FFFD, so no raw 8-bit C1 byte reaches the terminal. */
  private readonly decoder = new TextDecoder();
  /** Whether the current line is undecided (its start may be the mark), the worker's or the task's. */
  private state: 'start' | 'worker' | 'task' = 'start';
  /** The current line while it is undecided or the worker's (shown whole at its end). */
  private line = '';
  private exit: number | undefined;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly options: LogRenderOptions,
  ) {}

  /** The exit code the worker reported, if it did. */
  get exitCode(): number | undefined {
    return this.exit;
  }

  write(chunk: Uint8Array): void {
    if (this.options.raw) this.out.write(chunk);
    this.show(this.consume(this.decoder.decode(chunk, { stream: true })));
  }

  end(): void {
    let rest = this.consume(this.decoder.decode());
    if (this.state === 'worker') rest += this.workerLine(this.line);
    else if (this.state === 'start') rest += visibleControls(this.line);
    this.line = '';
    this.state = 'start';
    this.show(rest);
  }

  private show(text: string): void {
    if (!this.options.raw && text.length > 0) this.out.write(text);
  }

  private consume(text: string): string {
    let shown = '';
    let from = 0;
    while (from < text.length) {
      const newline = text.indexOf('\n', from);
      const end = newline < 0 ? text.length : newline;
      shown += this.take(text.slice(from, end), newline >= 0);
      from = end + 1;
    }
    return shown;
  }

  /** A piece of the current line; `ends` when a newline follows it. */
  private take(piece: string, ends: boolean): string {
    let shown = '';
    if (this.state === 'task') shown += visibleControls(piece);
    else {
      this.line += piece;
      if (this.state === 'start') {
        const decided =
          ends ||
          this.line.length >= WORKER_LINE_PREFIX.length ||
          !WORKER_LINE_PREFIX.startsWith(this.line);
        if (decided) {
          this.state = this.line.startsWith(WORKER_LINE_PREFIX) ? 'worker' : 'task';
          if (this.state === 'task') {
            shown += visibleControls(this.line);
            this.line = '';
          }
        }
      }
    }
    if (ends) {
      if (this.state === 'worker') shown += this.workerLine(this.line);
      shown += '\n';
      this.line = '';
      this.state = 'start';
    }
    return shown;
  }

  private workerLine(line: string): string {
    const exit = EXIT_LINE.exec(line);
    if (exit) this.exit = Number(exit[1]);
    const text = visibleControls(line);
    return this.options.color ? `${WORKER_STYLE}${text}${RESET}` : text;
  }
}
