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
