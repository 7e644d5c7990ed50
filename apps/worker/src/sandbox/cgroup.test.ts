import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { after, test } from 'node:test';
import { detectCgroupVersion, TaskCgroup } from './cgroup.js';

const PREFIX = `bulwark-cgtest${process.pid}`;
let seq = 0;

after(async () => {
  for (const leftover of await TaskCgroup.findLeftovers(await detectCgroupVersion(), PREFIX))
    await leftover.destroy();
});

/** Runs a shell script inside the cgroup from its first instruction, as the launcher does. */
function runInside(cgroup: TaskCgroup, script: string) {
  const enter = cgroup.procsFiles.map((file) => `echo $$ > ${file}`).join('; ');
  const child = spawn('/bin/sh', ['-c', `${enter}; exec /bin/sh -c '${script}'`], {
    stdio: 'ignore',
  });
  return once(child, 'exit');
}

async function makeCgroup(cpus = 1): Promise<TaskCgroup> {
  return TaskCgroup.create(await detectCgroupVersion(), `${PREFIX}-${++seq}`, {
    memoryMB: 64,
    pids: 32,
    cpus,
  });
}

test('S6: every process in the cgroup is killed, whatever it did to its session or parent', async () => {
  const cgroup = await makeCgroup();
  await runInside(
    cgroup,
    'setsid sleep 61 >/dev/null 2>&1 & nohup sleep 62 >/dev/null 2>&1 & (sh -c "sleep 63 &" &); sleep 0.2',
  );
  // The shell exited; its daemons live on, reparented, in their own sessions.
  assert.equal((await cgroup.pids()).length, 3);
  await cgroup.killAll();
  assert.deepEqual(await cgroup.pids(), []);
  await cgroup.destroy();
  for (const path of cgroup.paths) assert.equal(existsSync(path), false);
});

test('S8: the CPU quota holds a spinning task back', async () => {
  const cgroup = await makeCgroup(0.2);
  try {
    await runInside(
      cgroup,
      'end=$(( $(date +%s) + 1 )); while [ $(date +%s) -le $end ]; do :; done',
    );
    assert.ok((await cgroup.throttledPeriods()) > 0, 'the quota throttled the task');
  } finally {
    await cgroup.destroy();
  }
});

test("the host's cgroup version picks its implementation, with its directories", async () => {
  const version = await detectCgroupVersion();
  const cgroup = await makeCgroup();
  try {
    assert.equal(cgroup.version, version);
    assert.equal(cgroup.constructor.name, version === 2 ? 'CgroupV2' : 'CgroupV1');
    const expected =
      version === 2
        ? [`/sys/fs/cgroup/${cgroup.name}`]
        : ['memory', 'pids', 'cpu', 'freezer'].map((c) => `/sys/fs/cgroup/${c}/${cgroup.name}`);
    assert.deepEqual(cgroup.paths, expected);
    for (const path of cgroup.paths) assert.equal(existsSync(path), true);
  } finally {
    await cgroup.destroy();
  }
});
