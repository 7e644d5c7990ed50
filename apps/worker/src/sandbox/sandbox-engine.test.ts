import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { weakenedWarning } from './bwrap-command.js';
import type { ExecutionRequest } from './engine.js';
import { engineContract, runThrough, type ContractRun } from './engine-contract.js';
import { detectCgroupVersion, TaskCgroup, type CgroupVersion } from './cgroup.js';
import { SandboxEngine } from './sandbox-engine.js';
import { selfTest } from './self-test.js';

const PREFIX = `bulwark-test${process.pid}`;
let engine: SandboxEngine;
let version: CgroupVersion;
let scratch: string;

before(async () => {
  version = await detectCgroupVersion();
  engine = new SandboxEngine({ cgroupVersion: version, prefix: PREFIX, uid: 61000, gid: 61000 });
  scratch = await mkdtemp(join(tmpdir(), 'bulwark-sandbox-test-'));
  // As the worker's run directories: the sandbox user may pass, not list.
  await chmod(scratch, 0o711);
});
after(async () => {
  for (const leftover of await TaskCgroup.findLeftovers(version, PREFIX)) await leftover.destroy();
  await rm(scratch, { recursive: true, force: true });
});

engineContract('sandbox', () => ({ engine, scratch, insecure: false }));

async function run(
  script: string,
  overrides: Partial<ExecutionRequest> = {},
): Promise<ContractRun & { output: string }> {
  const r = await runThrough(engine, scratch, [['/bin/sh', '-c', script]], overrides);
  return { ...r, output: r.stdout + r.stderr };
}

const python = (code: string): string => `/usr/bin/python3 -c '${code}'`;

test('a command runs as an unprivileged user with no capabilities, no_new_privs and seccomp', async () => {
  const r = await run(
    'id -u; grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status; echo made > out.txt; cat out.txt',
  );
  assert.equal(r.outcome, 'exited');
  assert.equal(r.exitCode, 0);
  assert.match(r.output, /^61000\n/);
  assert.match(r.output, /CapEff:\s+0+\n/);
  assert.match(r.output, /CapBnd:\s+0+\n/);
  assert.match(r.output, /NoNewPrivs:\s+1/);
  assert.match(r.output, /Seccomp:\s+2/);
  assert.match(r.output, /made/);
});

test('S8: seccomp refuses AF_VSOCK and AF_PACKET sockets, ptrace, bpf, keyctl and new namespaces', async () => {
  const probes = python(
    [
      'import socket, ctypes, os',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'def sock(f):',
      '  try: socket.socket(f, socket.SOCK_STREAM if f == 40 else socket.SOCK_RAW); return "open"',
      '  except OSError as e: return e.errno',
      'print("vsock", sock(40)); print("packet", sock(17)); print("netlink", sock(16))',
      'def call(nr, *a):',
      '  r = libc.syscall(nr, *a); return "ok" if r >= 0 else ctypes.get_errno()',
      'print("ptrace", call(101, 0, 0, 0, 0)); print("bpf", call(321, 0, 0, 0)); print("keyctl", call(250, 0, 0))',
      'print("unshare", call(272, 0x10000000)); print("mount", call(165, 0, 0, 0, 0, 0)); print("io_uring", call(425, 1, 0))',
      'print("inet", sock(2) if False else "skip")',
    ].join('\n'),
  );
  const r = await run(probes);
  assert.equal(r.exitCode, 0, r.output);
  assert.match(r.output, /vsock 97\n/);
  assert.match(r.output, /packet 97\n/);
  assert.match(r.output, /netlink 97\n/);
  for (const call of ['ptrace', 'bpf', 'keyctl', 'unshare', 'mount', 'io_uring']) {
    assert.match(r.output, new RegExp(`${call} 1\\n`), `${call} must fail with EPERM`);
  }
});

test('S8: the host is read-only and invisible: /usr, setuid binaries, device nodes, other processes', async () => {
  const r = await run(
    [
      'touch /usr/bin/evil 2>/dev/null && echo wrote-usr',
      'mknod /tmp/disk b 8 0 2>/dev/null && echo made-device',
      '/usr/bin/su -c true root </dev/null 2>/dev/null && echo became-root',
      'ls /proc | grep -E "^[0-9]+$" | wc -l',
      'test -e /work && echo sees-work',
      'test -e /root && echo sees-root',
      'echo done',
    ].join('; '),
  );
  assert.equal(r.outcome, 'exited');
  assert.doesNotMatch(r.output, /wrote-usr|made-device|became-root|sees-work|sees-root/);
  // Only the sandbox's own processes: bubblewrap's init, the shell and its children.
  const visible = Number(/^(\d+)$/m.exec(r.output)?.[1]);
  assert.ok(visible > 0 && visible <= 5, `saw ${visible} processes`);
});

test('S1, S2: the task inherits no descriptor of the worker but its own stdio', async () => {
  const r = await run('ls /proc/self/fd | sort -n | tr "\\n" " "');
  // 0-2, and the descriptor ls reads the directory with.
  assert.equal(r.stdout, '0 1 2 3 ');
});

test('S1, S2: the task sees no credential of the worker: not in its environment nor in /proc/1', async () => {
  process.env.BULWARK_TEST_WORKER_SECRET = 'worker-secret-never-in-a-task';
  try {
    const r = await run(
      'env; cat /proc/1/environ | tr "\\0" "\\n"; cat /proc/self/environ | tr "\\0" "\\n"',
    );
    assert.doesNotMatch(r.output, /worker-secret-never-in-a-task/);
    assert.doesNotMatch(r.output, /TASKCLUSTER_ACCESS_TOKEN|TASKCLUSTER_CLIENT_ID/);
  } finally {
    delete process.env.BULWARK_TEST_WORKER_SECRET;
  }
});

test('S6: a daemon started with setsid, nohup or a double fork is silent after the task ends', async () => {
  const listener = createSocket('udp4');
  let packets = 0;
  listener.on('message', () => packets++);
  await new Promise<void>((resolve) => listener.bind(0, '127.0.0.1', resolve));
  const port = listener.address().port;
  // The sandbox has no network, so the daemons write to a file in the task directory
  // instead; the UDP listener proves nothing reaches the host either way.
  const beacon = `while true; do echo tick >> beat; (echo x > /dev/udp/127.0.0.1/${port}) 2>/dev/null; sleep 0.05; done`;
  const taskDir = await mkdtemp(join(scratch, 'task-'));
  await writeFile(join(taskDir, 'beacon.sh'), beacon);
  const r = await run(
    'setsid sh beacon.sh >/dev/null 2>&1 & nohup sh beacon.sh >/dev/null 2>&1 & (sh -c "sh beacon.sh &" &); sleep 0.3; echo started',
    { taskDir },
  );
  assert.equal(r.exitCode, 0);
  const before = (await readFile(join(taskDir, 'beat'), 'utf8')).length;
  assert.ok(before > 0, 'the daemons ran while the task did');
  await sleep(400);
  const afterEnd = (await readFile(join(taskDir, 'beat'), 'utf8')).length;
  assert.equal(afterEnd, before, 'nothing the task started is still running');
  assert.equal(packets, 0);
  listener.close();
});

test('S8: a bounded fork bomb is contained by the pids limit and reported', async () => {
  const r = await run(
    'i=0; while [ $i -lt 200 ]; do sleep 2 & i=$((i+1)); done 2>/dev/null; echo spawned; exit 0',
    { resources: { memoryMB: 128, pids: 16, cpus: 1 } },
  );
  assert.equal(r.outcome, 'exited');
  assert.match(r.message ?? '', /more than its limit of 16 processes/);
});

test('S8: a memory hog is killed and reported in plain words', async () => {
  const r = await run(python('b = []\nwhile len(b) < 4096: b.append(bytearray(1 << 20))'), {
    resources: { memoryMB: 64, pids: 32, cpus: 1 },
  });
  assert.equal(r.outcome, 'oom');
  assert.match(r.message ?? '', /ran out of memory.*64 MB/);
});

test('S6: no cgroup of the engine outlives its task', async () => {
  await run('sleep 0.1 & true');
  assert.deepEqual(await TaskCgroup.findLeftovers(version, PREFIX), []);
});

// The test-only weakening switches the exercise's weakened targets use: each turns off
// exactly its control, says so in the task log, and the worker's self-test refuses it.
for (const [label, weakened, control, status] of [
  ['no seccomp', { seccomp: false }, 'seccomp filter', /Seccomp:\s+0\n/],
  ['no pid namespace', { pidNamespace: false }, 'pid namespace', /Seccomp:\s+2\n/],
  ['no network namespace', { network: false }, 'network namespace', /Seccomp:\s+2\n/],
  ['no proxy path check', { proxyPathCheck: false }, 'no test-only switch', /Seccomp:\s+2\n/],
  ['no secret masking', { masking: false }, 'no test-only switch', /Seccomp:\s+2\n/],
] as const) {
  test(`S8, S9: the test-only switch "${label}" is labelled in the log and fails the self-test`, async () => {
    const weak = new SandboxEngine({
      cgroupVersion: version,
      prefix: `${PREFIX}w`,
      uid: 61000,
      gid: 61000,
      weakenedForTests: weakened,
    });
    try {
      const r = await runThrough(
        weak,
        scratch,
        [
          [
            '/bin/sh',
            '-c',
            'grep Seccomp: /proc/self/status; ls -d /proc/[0-9]* | wc -l; tail -n +3 /proc/net/dev | wc -l',
          ],
        ],
        {},
      );
      const output = r.stdout + r.stderr;
      assert.equal(r.exitCode, 0, output);
      // The daemon labels each task log; the engine says what to label it with.
      assert.equal(
        weakenedWarning(weak.weakenedForTests),
        `WARNING: test-only weakened sandbox: ${label}`,
      );
      assert.match(output, status);
      const [visible, interfaces] = (/^(\d+)\n(\d+)$/m.exec(output) ?? []).slice(1).map(Number);
      // Without a pid namespace the host's processes are all there; with one, a handful.
      assert.equal(Number(visible) > 5, 'pidNamespace' in weakened, `saw ${visible} processes`);
      // Without a network namespace the host's interfaces are there; with one, lo alone.
      assert.equal(Number(interfaces) > 1, 'network' in weakened, `saw ${interfaces} interfaces`);
      const failed = (await selfTest(weak, scratch)).filter((c) => !c.ok).map((c) => c.control);
      assert.ok(failed.includes(control), failed.join(', '));
    } finally {
      await weak.close();
      for (const leftover of await TaskCgroup.findLeftovers(version, `${PREFIX}w`)) {
        await leftover.destroy();
      }
    }
  });
}
