import { strict as assert } from 'node:assert';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { detectCgroupVersion, TaskCgroup } from './cgroup.js';
import { InsecureEngine } from './insecure-engine.js';
import { SandboxEngine } from './sandbox-engine.js';
import { selfTest } from './self-test.js';

const PREFIX = `bulwark-selftest${process.pid}`;
let scratch: string;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bulwark-engines-'));
  await chmod(scratch, 0o711);
});
after(async () => {
  for (const leftover of await TaskCgroup.findLeftovers(await detectCgroupVersion(), PREFIX))
    await leftover.destroy();
  await rm(scratch, { recursive: true, force: true });
});

test('S9: the self-test passes every control of the sandbox engine', async () => {
  const engine = new SandboxEngine({
    cgroupVersion: await detectCgroupVersion(),
    prefix: PREFIX,
    uid: 61000,
    gid: 61000,
  });
  const checks = await selfTest(engine, scratch);
  assert.deepEqual(
    checks.filter((c) => !c.ok),
    [],
  );
  assert.ok(checks.length >= 8);
});

test('S9: the self-test catches an engine without the controls, and says how to fix each', async () => {
  const checks = await selfTest(new InsecureEngine(), scratch);
  const failed = checks.filter((c) => !c.ok).map((c) => c.control);
  for (const control of [
    'unprivileged user',
    'seccomp filter',
    'AF_VSOCK refused',
    'network namespace',
    'pid namespace',
  ]) {
    assert.ok(failed.includes(control), `${control} must be reported`);
  }
  assert.ok(checks.every((c) => c.ok || (c.detail ?? '').length > 0));
});

test('S9: the insecure engine labels every result and offers no proxy or network', async () => {
  const engine = new InsecureEngine();
  const output = new PassThrough();
  let text = '';
  output.on('data', (c: Buffer) => (text += c.toString()));
  const base = {
    env: { WORD: 'plain' },
    taskDir: scratch,
    resources: { memoryMB: 64, pids: 16, cpus: 1 },
    maxRunTime: 1,
    networkAllow: [],
    proxySocket: undefined,
    output,
    signal: new AbortController().signal,
  };
  const ran = await engine.run({ ...base, commands: [['/bin/sh', '-c', 'echo $WORD']] });
  assert.deepEqual(ran, { outcome: 'exited', exitCode: 0, insecure: true });
  assert.equal(text, 'plain\n');
  const slow = await engine.run({ ...base, commands: [['/bin/sh', '-c', 'sleep 10']] });
  assert.equal(slow.outcome, 'timeout');
  const proxied = await engine.run({ ...base, commands: [['true']], proxySocket: '/nonexistent' });
  assert.equal(proxied.outcome, 'failed-to-start');
});
