/**
 * How a reader tells the worker's lines in a task's log from the task's output (S18).
 *
 * - Every line the worker writes starts at the beginning of a line (byte 0 of the log
 *   or just after a `\n`; the worker ends an unterminated task line with `\n` first)
 *   with `[bulwark] `, and is one line: control characters in its text are shown as
 *   `\xNN` / `\uNNNN`.
 * - Task output never contains `[bulwark]`, in any letter case and anywhere in a line:
 *   the worker writes it as `[task:bulwark]` (the case kept), also when the text is
 *   split across writes.
 *
 * So a line of the stored log is the worker's exactly when it starts with
 * `[bulwark] `; a reader needs nothing else (no key, no per-run value the task could
 * read from its own live log). A reader that shows the log on a terminal must still
 * keep the task's control characters from acting (`bulwark task log` does), or a task
 * could paint text over the worker's lines.
 */
export const WORKER_MARK = '[bulwark]';
export const WORKER_LINE_PREFIX = `${WORKER_MARK} `;

/** What the mark becomes in task output: visibly the task's. */
const TASK_SPELLING = '[task:';
const MARK_ANYWHERE = /\[(bulwark\])/gi;

/**
 * Rewrites the worker's mark in a stream of task output. The end of a chunk that could
 * be the start of the mark waits for the next chunk (or the end of the stream); the
 * mark has one `[`, so at most eight characters wait.
 */
export class WorkerMarkGuard {
  private held = '';

  write(text: string): string {
    const source = this.held + text;
    const cut = source.length - pendingMarkLength(source);
    this.held = source.slice(cut);
    return source.slice(0, cut).replace(MARK_ANYWHERE, `${TASK_SPELLING}$1`);
  }

  /** What is still held (never the whole mark): the stream ended or paused. */
  end(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }
}

/** The length of the longest proper prefix of the mark that `text` ends with. */
function pendingMarkLength(text: string): number {
  const from = Math.max(0, text.length - (WORKER_MARK.length - 1));
  const open = text.indexOf('[', from);
  if (open < 0) return 0;
  const tail = text.slice(open).toLowerCase();
  return WORKER_MARK.startsWith(tail) ? tail.length : 0;
}

/**
 * Characters that act on a terminal or a text view instead of showing themselves:
 * C0 controls (but tab), DEL, C1 controls, line and paragraph separators, and the
 * bidirectional formatting characters that reorder what a line seems to say.
 */
const CONTROLS =
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Shows every control character of `text` as `\xNN` or `\uNNNN`, so none acts. */
export function visibleControls(text: string): string {
  return text.replace(CONTROLS, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** One worker line as stored: the mark, the text on one line, and a newline. */
export function workerLine(text: string): string {
  return `${WORKER_LINE_PREFIX}${visibleControls(text)}\n`;
}
