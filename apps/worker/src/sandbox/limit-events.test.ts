// S19, S8: limit events (a process killed for the memory limit, forks refused for the
// pids limit) decide and explain the task's outcome, whatever the script did after.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runThrough } from './engine-contract.js';
import { detectCgroupVersion, TaskCgroup, type CgroupVersion } from './cgroup.js';
import { SandboxEngine } from './sandbox-engine.js';

const PREFIX = `bulwark-limits${process.pid}`;
let engine: SandboxEngine;
let version: CgroupVersion;
let scratch: string;

before(async () => {
  version = await detectCgroupVersion();
  engine = new SandboxEngine({ cgroupVersion: version, prefix: PREFIX, uid: 61000, gid: 61000 });
  scratch = await mkdtemp(join(tmpdir(), 'bulwark-limits-test-'));
});
after(async () => {
  for (const leftover of await TaskCgroup.findLeftovers(version, PREFIX)) await leftover.destroy();
  await rm(scratch, { recursive: true, force: true });
});

/** A child that allocates up to 4 GiB, 1 MiB at a time: far past the 64 MB limit. */
const HOG = `/usr/bin/python3 -c 'b = []\nwhile len(b) < 4096: b.append(bytearray(1 << 20))'`;

test('S19: a task whose child is killed for its memory limit fails, even when the script exits 0', async () => {
  const r = await runThrough(
    engine,
    scratch,
    [['/bin/sh', '-c', `${HOG}; echo "carried on after $?"; exit 0`]],
    { resources: { memoryMB: 64, pids: 32, cpus: 1 } },
  );
  // The script did carry on (on cgroup v1 the kernel kills only the hog)...
  if (version === 1) assert.match(r.stdout, /carried on after 137/);
  // ...and the task fails all the same, in plain words.
  assert.equal(r.outcome, 'oom');
  assert.match(
    r.message ?? '',
    /^the task ran out of memory: it used more than its limit of 64 MB/,
  );
});

/** Forks 100 sleepers (most refused past the pids limit), then sleeps past maxRunTime. */
const FORKER = [
  'import os, time',
  'for i in range(100):',
  '  try:',
  '    if os.fork() == 0: time.sleep(30); os._exit(0)',
  '  except OSError: pass',
  'time.sleep(30)',
].join('\n');

test('S19: a task that hits its pids limit and then its maxRunTime reports both', async () => {
  const r = await runThrough(engine, scratch, [['/usr/bin/python3', '-c', FORKER]], {
    resources: { memoryMB: 128, pids: 16, cpus: 1 },
    maxRunTime: 2,
  });
  assert.equal(r.outcome, 'timeout');
  assert.match(r.message ?? '', /ran longer than its maxRunTime of 2 seconds/);
  assert.match(r.message ?? '', /more than its limit of 16 processes; those forks failed/);
});

test('S19: a task stopped for its maxRunTime after a memory kill reports the kill too', async () => {
  const r = await runThrough(engine, scratch, [['/bin/sh', '-c', `${HOG}; sleep 30`]], {
    resources: { memoryMB: 64, pids: 32, cpus: 1 },
    maxRunTime: 3,
  });
  // On cgroup v2 (memory.oom.group) the whole task goes with the hog: the script ends first.
  if (version === 1) {
    assert.equal(r.outcome, 'timeout');
    assert.match(r.message ?? '', /maxRunTime of 3 seconds/);
  }
  assert.match(r.message ?? '', /more than its limit of 64 MB,? and the kernel killed/);
});
