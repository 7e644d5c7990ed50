import { strict as assert } from 'node:assert';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ResourceLimits } from '../payload/payload.js';
import { detectCgroupVersion, TaskCgroup, type CgroupVersion } from './cgroup.js';
import type { ExecutionRequest } from './engine.js';
import { runThrough } from './engine-contract.js';
import { Launcher } from './launcher.js';
import { SandboxEngine } from './sandbox-engine.js';

const PREFIX = `bulwark-ahead${process.pid}`;
const LIMITS: ResourceLimits = { memoryMB: 256, pids: 64, cpus: 1 };
let version: CgroupVersion;
let scratch: string;
const engines: SandboxEngine[] = [];

before(async () => {
  version = await detectCgroupVersion();
  scratch = await mkdtemp(join(tmpdir(), 'bulwark-ahead-test-'));
  await chmod(scratch, 0o711);
});
after(async () => {
  for (const engine of engines) await engine.close();
  for (const leftover of await TaskCgroup.findLeftovers(version, PREFIX)) await leftover.destroy();
  await rm(scratch, { recursive: true, force: true });
});

function newEngine(): SandboxEngine {
  const engine = new SandboxEngine({
    cgroupVersion: version,
    prefix: PREFIX,
    uid: 61000,
    gid: 61000,
  });
  engines.push(engine);
  return engine;
}

/** Runs a shell script and says whether its start was the one prepared ahead. */
async function run(
  engine: SandboxEngine,
  script: string,
  overrides: Partial<ExecutionRequest> = {},
): Promise<Awaited<ReturnType<typeof runThrough>> & { prepared: boolean | undefined }> {
  let prepared: boolean | undefined;
  const r = await runThrough(engine, scratch, [['/bin/sh', '-c', script]], {
    resources: LIMITS,
    onStarted: (start) => (prepared = start.prepared),
    ...overrides,
  });
  return { ...r, prepared };
}

test('S1, S2, S8: a start prepared ahead runs the task with every control, and no descriptor of the worker', async () => {
  const engine = newEngine();
  await engine.prepare(LIMITS);
  const r = await run(
    engine,
    'id -u; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; ls /proc/self/fd | sort -n | tr "\\n" " "',
  );
  assert.equal(r.prepared, true);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /^61000\n/);
  assert.match(r.stdout, /CapEff:\s+0+\n/);
  assert.match(r.stdout, /NoNewPrivs:\s+1/);
  assert.match(r.stdout, /Seccomp:\s+2/);
  // 0-2, and the descriptor ls reads the directory with.
  assert.match(r.stdout, /\n0 1 2 3 $/);
});

test('S8: a start prepared ahead carries the task’s limits from its first instruction', async () => {
  const engine = newEngine();
  const limits = { memoryMB: 128, pids: 16, cpus: 1 };
  await engine.prepare(limits);
  const r = await run(
    engine,
    'i=0; while [ $i -lt 200 ]; do sleep 2 & i=$((i+1)); done 2>/dev/null; echo spawned; exit 0',
    { resources: limits },
  );
  assert.equal(r.prepared, true);
  assert.equal(r.outcome, 'exited');
  assert.match(r.message ?? '', /more than its limit of 16 processes/);
});

test('a task with other limits starts fresh, and the start prepared for others is removed', async () => {
  const engine = newEngine();
  await engine.prepare({ memoryMB: 128, pids: 32, cpus: 1 });
  assert.equal((await TaskCgroup.findLeftovers(version, PREFIX)).length, 1);
  const r = await run(engine, 'echo fresh');
  assert.equal(r.prepared, false);
  assert.equal(r.stdout, 'fresh\n');
  await engine.close();
  assert.deepEqual(await TaskCgroup.findLeftovers(version, PREFIX), []);
});

test('the next start is prepared with the last task’s limits', async () => {
  const engine = newEngine();
  const limits = { memoryMB: 192, pids: 48, cpus: 1 };
  await engine.prepare(LIMITS);
  await run(engine, 'true', { resources: limits });
  await engine.prepare(LIMITS);
  const r = await run(engine, 'echo again', { resources: limits });
  assert.equal(r.prepared, true);
  assert.equal(r.stdout, 'again\n');
});

test('S6: close() kills the waiting launcher and removes its cgroup', async () => {
  const engine = newEngine();
  await engine.prepare(LIMITS);
  const [cgroup] = await TaskCgroup.findLeftovers(version, PREFIX);
  assert.ok(cgroup);
  const pids = await cgroup.pids();
  assert.equal(pids.length, 1, 'only the launcher is in the prepared cgroup');
  await engine.close();
  assert.deepEqual(await TaskCgroup.findLeftovers(version, PREFIX), []);
  assert.throws(() => process.kill(pids[0] as number, 0), /ESRCH/);
});

test('S2: the task reaches its proxy through the forwarder, from a fresh start and a prepared one', async () => {
  const engine = newEngine();
  const runDir = await mkdtemp(join(scratch, 'run-'));
  await chmod(runDir, 0o711);
  await mkdir(join(runDir, 'proxy'), { mode: 0o700 });
  const socket = join(runDir, 'proxy', 'proxy.sock');
  const proxy = createServer((req, res) => res.end(`proxied ${req.url ?? ''}`));
  await new Promise<void>((resolve) => proxy.listen(socket, resolve));
  try {
    const fetch = `/usr/bin/python3 -c 'import os, urllib.request; print(urllib.request.urlopen(os.environ["TASKCLUSTER_PROXY_URL"] + "/api/x/v1/y").read().decode())'`;
    for (const prepared of [false, true]) {
      if (prepared) await engine.prepare(LIMITS);
      const taskDir = join(runDir, `task-${String(prepared)}`);
      await mkdir(taskDir);
      const r = await run(engine, fetch, { proxySocket: socket, taskDir });
      assert.equal(r.prepared, prepared);
      assert.equal(r.stdout, 'proxied /api/x/v1/y\n', r.stderr);
    }
  } finally {
    await new Promise((resolve) => proxy.close(resolve));
  }
});

test('S9: a launcher started ahead runs nothing when it gets no command', async () => {
  const cgroup = await TaskCgroup.create(version, `${PREFIX}-abandoned`, LIMITS);
  try {
    const launcher = Launcher.ahead(cgroup.procsFiles);
    assert.equal(await launcher.joined, true);
    assert.equal(launcher.waiting, true);
    launcher.abandon();
    const end = await launcher.ended;
    assert.equal(end.code, 125);
    assert.equal(launcher.waiting, false);
    assert.deepEqual(await cgroup.pids(), []);
  } finally {
    await cgroup.destroy();
  }
});
