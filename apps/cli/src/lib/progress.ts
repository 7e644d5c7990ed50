import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { Writable } from 'node:stream';

const MIB = 1024 * 1024;
/** Below this, a download is over before a progress line would help anyone. */
const SHOW_FROM_BYTES = MIB;
const REDRAW_MS = 200;

/**
 * A file writer that shows how far a download has come, on stderr and only when stderr
 * is a terminal (scripts and logs get the one final line the caller prints). The line is
 * redrawn in place at most five times a second and erased at the end.
 */
export function fileWithProgress(path: string, label: string): Writable {
  const file = createWriteStream(path, { mode: 0o644 });
  const tty = process.stderr.isTTY;
  let received = 0;
  let drawn = 0;
  const draw = (): void => {
    if (!tty || received < SHOW_FROM_BYTES) return;
    drawn = Date.now();
    process.stderr.write(`\r\u001b[2K  ${label}  ${(received / MIB).toFixed(1)} MiB`);
  };
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      if (Date.now() - drawn >= REDRAW_MS) draw();
      if (file.write(chunk)) done();
      else file.once('drain', () => done());
    },
    final(done) {
      if (tty && drawn > 0) process.stderr.write('\r\u001b[2K');
      file.end();
      finished(file).then(() => done(), done);
    },
    destroy(err, done) {
      file.destroy();
      done(err);
    },
  });
}
