// test-tier: unit
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { argvAttack, worldAccessibleAttack } from '../goals/goal-10-local.js';
import type { ExerciseContext } from '../types.js';

function context(dataDir: string | undefined, knownTokens: string[]): ExerciseContext {
  return {
    rootUrl: 'http://127.0.0.1:1',
    runId: 'unit',
    pool: 'p/q',
    redTeam: { clientId: 'r', accessToken: 'x' },
    victims: undefined,
    knownTokens,
    ownSecretPrefix: undefined,
    ownSecret: undefined,
    dataDir,
    restartCommand: undefined,
    logsRead: [],
    signal: new AbortController().signal,
    progress: () => undefined,
  };
}

test('S11: the data directory walk reports a file others may read, and nothing in a private one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'exercise-walk-'));
  try {
    await chmod(dir, 0o700);
    await mkdir(join(dir, 'runs'), { mode: 0o710 });
    await writeFile(join(dir, 'runs', 'private'), 'x', { mode: 0o600 });
    assert.equal((await worldAccessibleAttack(context(dir, []))).verdict, 'BLOCKED');
    await writeFile(join(dir, 'runs', 'open'), 'x');
    await chmod(join(dir, 'runs', 'open'), 0o644);
    const found = await worldAccessibleAttack(context(dir, []));
    assert.equal(found.verdict, 'BREACHED');
    assert.match(found.evidence.notes?.join('\n') ?? '', /runs\/open \(others read\)/);
    assert.equal((await worldAccessibleAttack(context(undefined, []))).verdict, 'INCONCLUSIVE');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('S1: the command-line scan reports a process that shows a known credential', async () => {
  const token = `exercise-unit-${randomBytes(12).toString('hex')}`;
  assert.equal((await argvAttack(context(undefined, [token]))).verdict, 'BLOCKED');
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)', token], {
    stdio: 'ignore',
  });
  try {
    await new Promise((done) => child.once('spawn', done));
    const found = await argvAttack(context(undefined, [token]));
    assert.equal(found.verdict, 'BREACHED');
    assert.ok(!JSON.stringify(found).includes(token), 'the evidence never quotes it');
  } finally {
    child.kill('SIGKILL');
  }
});
