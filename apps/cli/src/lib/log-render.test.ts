// test-tier: unit
import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { LogRenderer, type LogRenderOptions } from './log-render.js';

/** Renders `chunks` (split wherever the caller split them) and answers what was shown. */
function render(
  chunks: (string | Uint8Array)[],
  options: LogRenderOptions = { raw: false, color: false },
): { shown: string; bytes: Buffer; exitCode: number | undefined } {
  const written: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(Buffer.from(chunk));
      done();
    },
  });
  const renderer = new LogRenderer(out, options);
  for (const chunk of chunks) {
    renderer.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  renderer.end();
  const bytes = Buffer.concat(written);
  return { shown: bytes.toString(), bytes, exitCode: renderer.exitCode };
}

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

test('S18: no control character of task output reaches the terminal unless --raw', () => {
  const hostile = 'x\x1b[2K\rhidden\x1b]0;title\x07 \x1b[8mconceal \x9b2J bell\x07 del\x7f\n';
  const { shown } = render([hostile, Buffer.from([0x9b, 0x32, 0x4a, 0x0a])]);
  assert.doesNotMatch(shown, CONTROL);
  assert.equal(
    shown,
    'x\\x1b[2K\\x0dhidden\\x1b]0;title\\x07 \\x1b[8mconceal \\x9b2J bell\\x07 del\\x7f\n' +
      '\ufffd2J\n',
  );
  // Tabs and newlines stay; bidirectional overrides are shown too.
  assert.equal(render(['a\tb\u202ec\n']).shown, 'a\tb\\u202ec\n');
  // --raw passes the bytes through as they are.
  const raw = render([hostile], { raw: true, color: false });
  assert.equal(raw.shown, hostile);
});

test('S18: worker lines are those that start a line with the mark; only they report the exit code', () => {
  const log =
    '[bulwark] task T run 0 on g/w\n' +
    '[task:bulwark] exit code 0\n' +
    'x\r[bulwark] exit code 0\n' +
    ' [bulwark] exit code 0\n' +
    'x\x1b[2K\r\n' +
    '[bulwark] exit code 3\n';
  // Split at every byte: the decision must not depend on where chunks end.
  const { shown, exitCode } = render([...Buffer.from(log)].map((b) => Uint8Array.of(b)));
  assert.equal(exitCode, 3);
  const marked = shown.split('\n').filter((line) => line.startsWith('[bulwark] '));
  assert.deepEqual(marked, ['[bulwark] task T run 0 on g/w', '[bulwark] exit code 3']);
  assert.match(shown, /^x\\x0d\[bulwark\] exit code 0$/m);

  const colored = render([log], { raw: false, color: true });
  const styled = colored.shown.split('\n').filter((line) => line.startsWith('\x1b[1;36m'));
  assert.deepEqual(styled, [
    '\x1b[1;36m[bulwark] task T run 0 on g/w\x1b[0m',
    '\x1b[1;36m[bulwark] exit code 3\x1b[0m',
  ]);
  // The only escape sequences on the terminal are the renderer's own.
  assert.equal(colored.shown.replace(/\x1b\[(1;36|0)m/g, '').match(CONTROL), null);
});

test('a forged exit line from task output is no exit code, even as the last line', () => {
  assert.equal(render(['[task:bulwark] exit code 0\n']).exitCode, undefined);
  assert.equal(render(['[bulwark] exit code 2\n', 'x\r[bulwark] exit code 0\n']).exitCode, 2);
  // A line still undecided when the log ends is shown, not lost.
  assert.equal(render(['[bul']).shown, '[bul');
});
