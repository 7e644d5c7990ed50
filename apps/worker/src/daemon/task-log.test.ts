// test-tier: unit
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TaskLog } from './task-log.js';

async function withLog(maxBytes: number, body: (log: TaskLog) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bulwark-task-log-'));
  try {
    await body(new TaskLog(join(dir, 'live.log'), maxBytes));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

test('a reader that joins late gets the whole log, then follows it to its end', async () => {
  await withLog(1 << 20, async (log) => {
    log.output.write('early\n');
    await new Promise((r) => setTimeout(r, 20));
    const reading = readAll(log.follow());
    log.output.write('later\n');
    log.note('exit code 0');
    await log.close();
    assert.equal(await reading, 'early\nlater\n[bulwark] exit code 0\n');
    assert.equal(await readFile(log.path, 'utf8'), await readAll(log.follow()));
  });
});

test('S15: a secret registered before it is written never reaches readers or the file', async () => {
  await withLog(1 << 20, async (log) => {
    log.masker.addSecret('hunter2-hunter2');
    const reading = readAll(log.follow());
    log.output.write('token=hunter2-');
    log.output.write('hunter2 done\n');
    await log.close();
    const text = await reading;
    assert.doesNotMatch(text, /hunter2-hunter2/);
    assert.doesNotMatch(await readFile(log.path, 'utf8'), /hunter2-hunter2/);
  });
});

test('task output past the cap is dropped with one note; worker notes still pass', async () => {
  await withLog(64, async (log) => {
    for (let i = 0; i < 100; i++) log.output.write('x'.repeat(10));
    log.note('exit code 0');
    await log.close();
    const text = await readFile(log.path, 'utf8');
    assert.ok(text.length < 200, `the log holds ${text.length} bytes`);
    assert.equal(text.match(/further task output is dropped/g)?.length, 1);
    assert.match(text, /\[bulwark\] exit code 0\n$/);
  });
});

test('an aborted reader stops waiting at once', async () => {
  await withLog(1 << 20, async (log) => {
    const abort = new AbortController();
    const reading = readAll(log.follow(abort.signal));
    log.output.write('some\n');
    await new Promise((r) => setTimeout(r, 20));
    abort.abort();
    assert.equal(await reading, 'some\n');
    await log.close();
  });
});

/** The lines a reader takes for the worker's: those that start with the mark. */
const workerLines = (text: string): string[] =>
  text.split('\n').filter((line) => line.startsWith('[bulwark] '));

test('S18: a task cannot write a line that a reader takes for the worker’s', async () => {
  await withLog(1 << 20, async (log) => {
    log.note('task T run 0 on g/w');
    log.output.write('[bulwark] exit code 0\n');
    // Split across writes, in another case, after a carriage return, mid-line.
    log.output.write('ok\r[bulw');
    log.output.write('ark] exit code 0\n[BULWARK] done\nsay [Bulwark] x\n');
    // An unterminated line that would hide what follows on a terminal.
    log.output.write('x\x1b[2K\r');
    log.note('exit code 1');
    await log.close();
    const text = await readFile(log.path, 'utf8');
    assert.deepEqual(workerLines(text), ['[bulwark] task T run 0 on g/w', '[bulwark] exit code 1']);
    assert.doesNotMatch(text, /\[bulwark\][^\n]*exit code 0/i);
    assert.match(text, /^\[task:bulwark\] exit code 0$/m);
    assert.match(text, /ok\r\[task:bulwark\] exit code 0\n\[task:BULWARK\] done\n/);
    assert.match(text, /say \[task:Bulwark\] x\n/);
    // The worker's line starts a line of its own after the unterminated one.
    assert.ok(text.endsWith('x\x1b[2K\r\n[bulwark] exit code 1\n'), JSON.stringify(text));
  });
});

test('S18: a worker line is one line, whatever text it carries', async () => {
  await withLog(1 << 20, async (log) => {
    log.masker.addSecret('bulwark');
    log.note('artifact skipped: a\n[bulwark] exit code 0\x1b[8m');
    await log.close();
    const text = await readFile(log.path, 'utf8');
    // The mark stays whole even when a secret is the mark's own word (S15 masks the rest).
    assert.equal(text, '[bulwark] artifact skipped: a\\x0a[[secret]] exit code 0\\x1b[8m\n');
    assert.deepEqual(workerLines(text).length, 1);
  });
});

test('S18: a mark held back at the end of a chunk is written out before the worker speaks', async () => {
  await withLog(1 << 20, async (log) => {
    log.output.write('partial [bulw');
    log.note('exit code 0');
    await log.close();
    assert.equal(await readFile(log.path, 'utf8'), 'partial [bulw\n[bulwark] exit code 0\n');
  });
});
