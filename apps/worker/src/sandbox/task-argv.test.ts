import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { access, chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import type { ResourceLimits } from '../payload/payload.js';
import { bwrapInvocation, chainArguments } from './bwrap-command.js';
import { detectCgroupVersion, TaskCgroup, type CgroupVersion } from './cgroup.js';
import { runThrough } from './engine-contract.js';
import { nulSeparated } from './launcher.js';
import { SandboxEngine } from './sandbox-engine.js';

const PREFIX = `bulwark-argv${process.pid}`;
const LIMITS: ResourceLimits = { memoryMB: 256, pids: 64, cpus: 1 };
let version: CgroupVersion;
let scratch: string;
let engine: SandboxEngine;

before(async () => {
  version = await detectCgroupVersion();
  scratch = await mkdtemp(join(tmpdir(), 'bulwark-argv-test-'));
  await chmod(scratch, 0o711);
  engine = new SandboxEngine({ cgroupVersion: version, prefix: PREFIX, uid: 61000, gid: 61000 });
});
after(async () => {
  await engine.close();
  for (const leftover of await TaskCgroup.findLeftovers(version, PREFIX)) await leftover.destroy();
  await rm(scratch, { recursive: true, force: true });
});

/** Every process of the host, as the host's root sees them: pid and command line. */
async function hostCommandLines(): Promise<{ pid: string; cmdline: string }[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const lines = await Promise.all(
    pids.map(async (pid) => {
      try {
        const raw = await readFile(`/proc/${pid}/cmdline`);
        return { pid, cmdline: raw.toString('latin1').replaceAll('\0', ' ') };
      } catch {
        return undefined; // it exited meanwhile
      }
    }),
  );
  return lines.filter((line) => line !== undefined);
}

/** What the scans of watchCommandLines found so far. */
interface Watch {
  hits: string[];
  /** Complete scans that began while the task said it ran. */
  scansWhileRunning: number;
  /** Whether one of those saw bubblewrap, reading its options from a descriptor. */
  sawSandbox: boolean;
}

/**
 * Scans every host process's command line, again and again, until `done` settles,
 * recording in `watch` what carried `marker`.
 */
async function watchCommandLines(
  marker: string,
  done: Promise<unknown>,
  running: () => Promise<boolean>,
  watch: Watch,
): Promise<void> {
  let finished = false;
  void done.finally(() => (finished = true));
  // Bounded: the task gives up waiting after 10 s, and so does this loop.
  const deadline = Date.now() + 20_000;
  while (!finished && Date.now() < deadline) {
    const taskRunning = await running();
    for (const { pid, cmdline } of await hostCommandLines()) {
      if (cmdline.includes(marker)) watch.hits.push(`${pid}: ${cmdline}`);
      if (taskRunning && cmdline.startsWith('bwrap --args ')) watch.sawSandbox = true;
    }
    if (taskRunning) watch.scansWhileRunning++;
    await sleep(5);
  }
}

test('S1: no environment value of a running task is in any host process’s command line, while the task sees it', async () => {
  const runDir = await mkdtemp(join(scratch, 'run-'));
  await chmod(runDir, 0o711);
  await mkdir(join(runDir, 'proxy'), { mode: 0o700 });
  const socket = join(runDir, 'proxy', 'proxy.sock');
  const proxy = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => proxy.listen(socket, resolve));
  try {
    // Every way a task starts: fresh or prepared ahead, with the proxy's forwarder or without.
    for (const prepared of [false, true]) {
      for (const withProxy of [false, true]) {
        const label = `prepared ${String(prepared)}, proxy ${String(withProxy)}`;
        const marker = randomBytes(16).toString('hex');
        const taskDir = join(runDir, `task-${String(prepared)}-${String(withProxy)}`);
        await mkdir(taskDir);
        if (prepared) await engine.prepare(LIMITS);
        // The task records what it sees, then waits (at most 10 s) for the scan to finish.
        const script =
          'printf %s "$BULWARK_MARK" > seen.tmp && mv seen.tmp seen; i=0; ' +
          'while [ ! -e release ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done';
        let started: boolean | undefined;
        const run = runThrough(engine, scratch, [['/bin/sh', '-c', script]], {
          taskDir,
          resources: LIMITS,
          env: { BULWARK_MARK: marker, BULWARK_OTHER: `--setenv X ${marker}` },
          proxySocket: withProxy ? socket : undefined,
          onStarted: (start) => (started = start.prepared),
        });
        const seen = join(taskDir, 'seen');
        const exists = (path: string): Promise<boolean> =>
          access(path).then(
            () => true,
            () => false,
          );
        const watched: Watch = { hits: [], scansWhileRunning: 0, sawSandbox: false };
        const watching = watchCommandLines(marker, run, () => exists(seen), watched);
        // Let two whole scans run while the task is up for sure (at most 10 s), then release it.
        for (let i = 0; i < 400 && watched.scansWhileRunning < 2; i++) await sleep(25);
        await writeFile(join(taskDir, 'release'), '');
        const [result] = await Promise.all([run, watching]);
        assert.equal(result.exitCode, 0, `${label}: ${result.stderr}`);
        assert.equal(started, prepared, label);
        assert.equal(await readFile(seen, 'utf8'), marker, `${label}: the task sees its variable`);
        assert.ok(watched.sawSandbox, `${label}: a scan ran while the sandbox did`);
        assert.deepEqual(watched.hits, [], `${label}: the value is on a command line`);
      }
    }
  } finally {
    await new Promise((resolve) => proxy.close(resolve));
  }
});

test('S1: the chain the launcher execs (nsenter, setpriv, bwrap) carries no environment value', () => {
  const marker = randomBytes(16).toString('hex');
  const bwrap = bwrapInvocation({
    taskDir: '/srv/task',
    env: { SECRET_LOOKING: marker },
    proxySocket: '/srv/run/proxy/proxy.sock',
    shareNet: true,
    argv: ['/bin/true'],
  });
  const chain = chainArguments({
    netnsPath: '/run/netns/bulwark-test',
    uid: 61000,
    gid: 61000,
    bwrap: bwrap.commandLine,
  });
  assert.ok(chain.includes('nsenter') && chain.includes('setpriv') && chain.includes('bwrap'));
  assert.ok(!chain.some((arg) => arg.includes(marker)), chain.join(' '));
  assert.deepEqual(bwrap.commandLine.slice(0, 3), ['--args', '9', '--']);
  // The value is on the descriptor bubblewrap reads, right after its name.
  const at = bwrap.options.indexOf('SECRET_LOOKING');
  assert.equal(bwrap.options[at - 1], '--setenv');
  assert.equal(bwrap.options[at + 1], marker);
});

test('S1, S8: an environment value with a NUL byte cannot add options to bubblewrap; the task does not start', async () => {
  assert.throws(() => nulSeparated(['--setenv', 'X', 'a\0--bind']), /NUL byte/);
  // Read as NUL-separated arguments, this value would bind the host's root into the sandbox.
  const env = { INNOCENT: 'value\0--bind\0/\0/host' };
  const probe = 'test -e /host/etc/passwd && echo escaped; echo ran';
  for (const prepared of [false, true]) {
    if (prepared) await engine.prepare(LIMITS);
    const r = await runThrough(engine, scratch, [['/bin/sh', '-c', probe]], {
      env,
      resources: LIMITS,
    });
    assert.equal(r.outcome, 'failed-to-start', `prepared ${String(prepared)}`);
    assert.match(r.message ?? '', /NUL byte/);
    assert.doesNotMatch(r.stdout, /escaped|ran/);
  }
  // The engine carries on with the next task.
  const r = await runThrough(engine, scratch, [['/bin/sh', '-c', 'echo fine']], {
    env: { INNOCENT: 'value --bind / /host' },
    resources: LIMITS,
  });
  assert.equal(r.stdout, 'fine\n');
  assert.deepEqual(await TaskCgroup.findLeftovers(version, PREFIX), []);
});
