// test-tier: unit
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { fileWithProgress } from './progress.js';

/** Runs `body` with stderr's writes captured and its isTTY set as given. */
async function capturingStderr(tty: boolean, body: () => Promise<void>): Promise<string> {
  const stderr = process.stderr as unknown as { isTTY: boolean; write: unknown };
  const saved = { isTTY: stderr.isTTY, write: stderr.write };
  let text = '';
  stderr.isTTY = tty;
  stderr.write = (chunk: string | Uint8Array): boolean => {
    text += String(chunk);
    return true;
  };
  try {
    await body();
  } finally {
    stderr.isTTY = saved.isTTY;
    stderr.write = saved.write;
  }
  return text;
}

const MIB = 1024 * 1024;
const data = (): Readable =>
  Readable.from(
    (function* () {
      for (let i = 0; i < 3; i++) yield Buffer.alloc(MIB, i);
    })(),
  );

test('a download to a terminal shows its progress, then erases the line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bulwark-progress-'));
  try {
    const path = join(dir, 'out.bin');
    const shown = await capturingStderr(true, () =>
      pipeline(data(), fileWithProgress(path, 'public/out.bin')),
    );
    assert.equal((await readFile(path)).length, 3 * MIB);
    assert.match(shown, /public\/out\.bin {2}\d+\.\d MiB/);
    assert.ok(shown.endsWith('\r\u001b[2K'), 'the progress line is erased');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('without a terminal, nothing is drawn', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bulwark-progress-'));
  try {
    const path = join(dir, 'out.bin');
    const shown = await capturingStderr(false, () => pipeline(data(), fileWithProgress(path, 'x')));
    assert.equal(shown, '');
    assert.equal((await readFile(path)).length, 3 * MIB);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
