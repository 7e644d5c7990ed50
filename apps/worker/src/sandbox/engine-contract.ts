import { strict as assert } from 'node:assert';
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { ExecutionRequest, ExecutionResult, Executor } from './engine.js';

export interface ContractRun extends ExecutionResult {
  stdout: string;
  stderr: string;
  taskDir: string;
}

/** Runs commands through an engine with the defaults every contract test shares. */
export async function runThrough(
  engine: Executor,
  scratch: string,
  commands: string[][],
  overrides: Partial<ExecutionRequest> = {},
): Promise<ContractRun> {
  const taskDir = overrides.taskDir ?? (await mkdtemp(join(scratch, 'task-')));
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const result = await engine.run({
    commands,
    env: {},
    taskDir,
    resources: { memoryMB: 256, pids: 64, cpus: 1 },
    maxRunTime: 30,
    network: { mode: 'none' },
    proxySocket: undefined,
    stdout,
    stderr,
    signal: new AbortController().signal,
    ...overrides,
  });
  return { ...result, stdout: out, stderr: err, taskDir };
}

const sh = (script: string): string[] => ['/bin/sh', '-c', script];

/**
 * What every engine promises the daemon, whatever isolation it gives: the same
 * suite runs against each engine, so the daemon can rely on one behaviour.
 */
export function engineContract(
  label: string,
  setup: () => { engine: Executor; scratch: string; insecure: boolean },
): void {
  const run = (commands: string[][], overrides?: Partial<ExecutionRequest>): Promise<ContractRun> =>
    runThrough(setup().engine, setup().scratch, commands, overrides);

  void test(`${label} contract: exit codes pass through, stdout and stderr apart`, async () => {
    const r = await run([sh('echo out; echo err >&2; exit 3')]);
    assert.equal(r.outcome, 'exited');
    assert.equal(r.exitCode, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  void test(`${label} contract: every result says whether it was isolated (S9)`, async () => {
    const r = await run([sh('true')]);
    assert.deepEqual(
      { outcome: r.outcome, exitCode: r.exitCode, insecure: r.insecure },
      { outcome: 'exited', exitCode: 0, insecure: setup().insecure },
    );
  });

  void test(`${label} contract: commands run in order until one fails`, async () => {
    const r = await run([sh('echo one'), sh('exit 4'), sh('echo never')]);
    assert.equal(r.exitCode, 4);
    assert.equal(r.stdout, 'one\n');
  });

  void test(`${label} contract: env is passed, the task directory is the writable cwd`, async () => {
    const r = await run([sh('echo "$GREETING"; echo kept > made.txt')], {
      env: { GREETING: 'hello' },
    });
    assert.equal(r.stdout, 'hello\n');
    assert.equal(await readFile(join(r.taskDir, 'made.txt'), 'utf8'), 'kept\n');
  });

  void test(`${label} contract: a command killed by a signal says which`, async () => {
    const r = await run([sh('kill -TERM $$')]);
    assert.equal(r.outcome, 'exited');
    assert.equal(r.exitCode, 128 + 15);
    assert.equal(r.signal, 'SIGTERM');
  });

  void test(`${label} contract: maxRunTime stops the task, in plain words`, async () => {
    const r = await run([sh('sleep 30')], { maxRunTime: 1 });
    assert.equal(r.outcome, 'timeout');
    assert.match(r.message ?? '', /longer than its maxRunTime of 1 seconds/);
  });

  void test(`${label} contract: an abort stops the task, also one aborted before it starts`, async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const r = await run([sh('sleep 30')], { signal: controller.signal });
    assert.equal(r.outcome, 'aborted');
    assert.match(r.message ?? '', /stopped/);
    const early = await run([sh('sleep 30')], { signal: AbortSignal.abort() });
    assert.equal(early.outcome, 'aborted');
  });

  void test(`${label} contract: a command that does not exist does not succeed, and says so`, async () => {
    const r = await run([['/nonexistent/tool', 'x']]);
    assert.notEqual(r.outcome === 'exited' && r.exitCode === 0, true);
    assert.match(`${r.message ?? ''} ${r.stderr}`, /nonexistent\/tool|ENOENT|No such file/);
  });
}
