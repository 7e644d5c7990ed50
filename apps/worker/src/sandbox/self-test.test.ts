import { strict as assert } from 'node:assert';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { detectCgroupVersion } from './cgroup.js';
import { InsecureEngine } from './insecure-engine.js';
import { networkTag } from './network/names.js';
import { destroyLeftovers } from './recovery.js';
import { SandboxEngine } from './sandbox-engine.js';
import { selfTest } from './self-test.js';
import { TaskDisks } from './disk-quota/task-disks.js';

const PREFIX = `bulwark-selftest${process.pid}`;
let scratch: string;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bulwark-selftest-'));
  await chmod(scratch, 0o711);
});
after(async () => {
  await destroyLeftovers({
    prefix: PREFIX,
    cgroupVersion: await detectCgroupVersion(),
    taskDirParents: [],
  });
  await rm(scratch, { recursive: true, force: true });
});

test('S9: the self-test passes every control of the sandbox engine', async () => {
  const disk = await TaskDisks.open({
    image: join(scratch, 'disk', 'tasks.img'),
    mountPoint: join(scratch, 'runs'),
    sizeMB: 512,
    expectedDiskMB: 64,
    passGroup: 61000,
  });
  const engine = new SandboxEngine({
    cgroupVersion: await detectCgroupVersion(),
    prefix: PREFIX,
    uid: 61000,
    gid: 61000,
    disk,
  });
  let checks;
  try {
    checks = await selfTest(engine, disk.mountPoint, {
      allowlistProbe: { networkTag: networkTag(PREFIX) },
    });
  } finally {
    await engine.close();
  }
  assert.deepEqual(
    checks.filter((c) => !c.ok),
    [],
  );
  assert.deepEqual(
    checks.map((c) => c.control),
    [
      'no test-only switch',
      'unprivileged user',
      'no capabilities',
      'no_new_privs',
      'seccomp filter',
      'AF_VSOCK refused',
      'mount refused',
      'network namespace',
      'no route out',
      'read-only system',
      'pid namespace',
      'worker files hidden',
      'pids limit',
      'memory limit',
      'disk limit',
      'allowlist reaches a listed destination',
      'allowlist refuses the rest',
    ],
  );
  await engine.close();
});

test('S19: the self-test catches a sandbox engine without the disk quota', async () => {
  const engine = new SandboxEngine({
    cgroupVersion: await detectCgroupVersion(),
    prefix: PREFIX,
    uid: 61000,
    gid: 61000,
  });
  const checks = await selfTest(engine, scratch);
  const failed = checks.filter((c) => !c.ok);
  assert.deepEqual(
    failed.map((c) => c.control),
    ['disk limit'],
  );
  assert.match(failed[0]?.detail ?? '', /EDQUOT/);
});

test('S9: the self-test catches an engine without the controls, and says how to fix each', async () => {
  const checks = await selfTest(new InsecureEngine(), scratch, {
    allowlistProbe: { networkTag: networkTag(`${PREFIX}-insecure`) },
  });
  const failed = checks.filter((c) => !c.ok).map((c) => c.control);
  for (const control of [
    'unprivileged user',
    'seccomp filter',
    'AF_VSOCK refused',
    'mount refused',
    'network namespace',
    'pid namespace',
    'worker files hidden',
    'pids limit',
    'memory limit',
    'disk limit',
    'allowlist reaches a listed destination',
    'allowlist refuses the rest',
  ]) {
    assert.ok(failed.includes(control), `${control} must be reported`);
  }
  assert.ok(checks.every((c) => c.ok || (c.detail ?? '').length > 0));
});

test("S7, S9: the self-test's allowlist probe fails an engine whose nft loads nothing", async () => {
  const nft = join(scratch, 'nft-loads-nothing');
  await writeFile(nft, '#!/bin/sh\ncat >/dev/null\nexit 0\n', { mode: 0o755 });
  const engine = new SandboxEngine({
    cgroupVersion: await detectCgroupVersion(),
    prefix: PREFIX,
    uid: 61000,
    gid: 61000,
    network: { nft },
  });
  const checks = await selfTest(engine, scratch, {
    allowlistProbe: { networkTag: networkTag(PREFIX) },
  });
  // This engine has no task disk, so its disk limit fails too; the point is the allowlist.
  const failed = checks.filter((c) => !c.ok && c.control !== 'disk limit');
  assert.deepEqual(
    failed.map((c) => c.control),
    ['allowlist reaches a listed destination', 'allowlist refuses the rest'],
  );
  for (const check of failed) assert.match(check.detail ?? '', /nft reported success, but/);
  await engine.close();
});
