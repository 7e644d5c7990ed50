import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { detectCgroupVersion, TaskCgroup, type CgroupVersion } from './cgroup.js';
import { runThrough } from './engine-contract.js';
import { SandboxEngine } from './sandbox-engine.js';

// The default-deny seccomp filter against the real kernel, through the whole engine:
// what builds run works, and calls the policy does not allow are refused.

const PREFIX = `bulwark-seccomp${process.pid}`;
const RESOURCES = { memoryMB: 512, pids: 128, cpus: 1 };
let version: CgroupVersion;
let scratch: string;
let engine: SandboxEngine;

before(async () => {
  version = await detectCgroupVersion();
  scratch = await mkdtemp(join(tmpdir(), 'bulwark-seccomp-test-'));
  await chmod(scratch, 0o711);
  engine = new SandboxEngine({ cgroupVersion: version, prefix: PREFIX, uid: 61000, gid: 61000 });
});
after(async () => {
  for (const leftover of await TaskCgroup.findLeftovers(version, PREFIX)) await leftover.destroy();
  await rm(scratch, { recursive: true, force: true });
});

const HELLO_C = `
#include <pthread.h>
#include <stdio.h>
static void *work(void *arg) { *(int *)arg *= 7; return NULL; }
int main(void) {
  int value = 6; pthread_t thread;
  if (pthread_create(&thread, NULL, work, &value) != 0) return 1;
  pthread_join(thread, NULL);
  printf("c %d\\n", value);
  return 0;
}
`;

const MAKEFILE = `all: one.o two.o
\tcc -o pair one.o two.o
%.o: %.c
\tcc -O2 -c $< -o $@
`;

const NODE_PROBE = `
const { execFileSync } = require('node:child_process');
const { Worker } = require('node:worker_threads');
const fs = require('node:fs');
fs.writeFileSync('node.txt', 'written');
const child = execFileSync('/bin/echo', ['child']).toString().trim();
new Worker('require("node:worker_threads").parentPort.postMessage(6 * 7)', { eval: true })
  .on('message', (n) => console.log('node', fs.readFileSync('node.txt', 'utf8'), child, n));
`;

const PYTHON_PROBE = `
import subprocess, threading, hashlib, tempfile, os
out = subprocess.run(["/bin/echo", "child"], capture_output=True, text=True).stdout.strip()
results = []
t = threading.Thread(target=lambda: results.append(hashlib.sha256(b"x").hexdigest()[:6]))
t.start(); t.join()
with tempfile.NamedTemporaryFile(dir="/tmp") as f:
    f.write(b"y"); f.flush(); size = os.path.getsize(f.name)
print("python", out, results[0], size)
`;

test('S8: what builds run works under the default-deny filter: cc, make, node, python3, git, tar, shell pipelines, curl through the proxy', async () => {
  const runDir = await mkdtemp(join(scratch, 'run-'));
  await chmod(runDir, 0o711);
  await mkdir(join(runDir, 'proxy'), { mode: 0o700 });
  const socket = join(runDir, 'proxy', 'proxy.sock');
  const proxy = createServer((req, res) => res.end(`proxied ${req.url ?? ''}`));
  await new Promise<void>((resolve) => proxy.listen(socket, resolve));
  try {
    const taskDir = join(runDir, 'task');
    await mkdir(taskDir);
    await writeFile(join(taskDir, 'hello.c'), HELLO_C);
    await writeFile(join(taskDir, 'one.c'), 'int two(void);\nint main(void) { return two(); }\n');
    await writeFile(join(taskDir, 'two.c'), 'int two(void) { return 0; }\n');
    await writeFile(join(taskDir, 'Makefile'), MAKEFILE);
    await writeFile(join(taskDir, 'probe.js'), NODE_PROBE);
    await writeFile(join(taskDir, 'probe.py'), PYTHON_PROBE);
    const sh = (script: string): string[] => ['/bin/sh', '-c', script];
    const git = 'git -c user.name=Builder -c user.email=builder@example.invalid';
    const r = await runThrough(
      engine,
      scratch,
      [
        sh('cc -O2 -pthread -o hello hello.c && ./hello'),
        sh('make -s -j2 && ./pair && echo make ok'),
        ['node', 'probe.js'],
        ['python3', 'probe.py'],
        sh(
          `mkdir repo && cd repo && git init -q && echo one > file && git add file && ` +
            `${git} commit -qm first && echo two >> file && ${git} commit -qam second && ` +
            `echo "git $(git rev-list --count HEAD) $(git status --porcelain | wc -l)"`,
        ),
        sh(
          'tar czf repo.tgz repo && mkdir copy && tar xzf repo.tgz -C copy && ' +
            'cmp repo/file copy/repo/file && echo tar ok',
        ),
        sh('seq 1 1000 | sort -rn | head -3 | tr "\\n" " " | sed "s/^/pipeline /"; echo'),
        sh('curl -sS "$TASKCLUSTER_PROXY_URL/api/queue/v1/ping"; echo'),
      ],
      { taskDir, proxySocket: socket, resources: RESOURCES, maxRunTime: 120 },
    );
    assert.equal(r.outcome, 'exited', r.stderr);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    const lines = r.stdout.split('\n');
    for (const expected of [
      'c 42',
      'make ok',
      'node written child 42',
      `python child 2d7116 1`,
      'git 2 0',
      'tar ok',
      'pipeline 1000 999 998 ',
      'proxied /api/queue/v1/ping',
    ]) {
      assert.ok(lines.includes(expected), `missing "${expected}" in:\n${r.stdout}\n${r.stderr}`);
    }
  } finally {
    await new Promise((resolve) => proxy.close(resolve));
  }
});

/** Calls the numbers given with harmless arguments and prints "nr errno" ("nr ok" on success). */
const SYSCALL_PROBE = `
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
for nr in map(int, sys.argv[1:]):
    ctypes.set_errno(0)
    r = libc.syscall(nr, 0, 0, 0, 0, 0)
    print(nr, "ok" if r >= 0 else ctypes.get_errno())
`;

const STATMOUNT = 457;
const LISTMOUNT = 458;
const MSEAL = 462;
const OPEN_TREE_ATTR = 467;
const LISTNS = 470;
const ENOSYS = 38;
const EPERM = 1;

test('S8: calls newer than the reviewed table, and reviewed dangerous ones, are refused by the kernel inside the sandbox', async () => {
  const numbers = [STATMOUNT, LISTMOUNT, MSEAL, OPEN_TREE_ATTR, LISTNS, 471, 600, 1000];
  // The control: on the host itself this kernel has these calls (EFAULT for the null
  // pointers, or success), so an ENOSYS inside the sandbox is the filter's doing.
  const host = spawnSync('/usr/bin/python3', ['-c', SYSCALL_PROBE, ...numbers.map(String)], {
    encoding: 'utf8',
  });
  const hostErrno = new Map(
    host.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]),
  );
  for (const nr of [STATMOUNT, LISTMOUNT, MSEAL, OPEN_TREE_ATTR]) {
    assert.notEqual(hostErrno.get(String(nr)), String(ENOSYS), `the host kernel has call ${nr}`);
  }

  const taskDir = await mkdtemp(join(scratch, 'task-'));
  await writeFile(join(taskDir, 'probe.py'), SYSCALL_PROBE);
  // The same through a C program compiled in the sandbox: a raw syscall, no libc wrapper.
  await writeFile(
    join(taskDir, 'probe.c'),
    [
      '#include <errno.h>',
      '#include <stdio.h>',
      '#include <unistd.h>',
      'int main(void) {',
      `  long numbers[] = {${LISTMOUNT}, ${MSEAL}, ${OPEN_TREE_ATTR}, 1000};`,
      '  for (int i = 0; i < 4; i++) {',
      '    errno = 0;',
      '    long r = syscall(numbers[i], 0, 0, 0, 0, 0);',
      '    printf("c %ld %d\\n", numbers[i], r < 0 ? errno : 0);',
      '  }',
      '  return 0;',
      '}',
    ].join('\n'),
  );
  const r = await runThrough(
    engine,
    scratch,
    [
      ['python3', 'probe.py', ...numbers.map(String)],
      ['/bin/sh', '-c', 'cc -o probe probe.c && ./probe'],
    ],
    { taskDir, resources: RESOURCES, maxRunTime: 60 },
  );
  assert.equal(r.exitCode, 0, r.stdout + r.stderr);
  const expected = [
    `${STATMOUNT} ${ENOSYS}`,
    `${LISTMOUNT} ${ENOSYS}`,
    `${MSEAL} ${ENOSYS}`,
    `${OPEN_TREE_ATTR} ${EPERM}`,
    `${LISTNS} ${ENOSYS}`,
    `471 ${ENOSYS}`,
    `600 ${ENOSYS}`,
    `1000 ${ENOSYS}`,
    `c ${LISTMOUNT} ${ENOSYS}`,
    `c ${MSEAL} ${ENOSYS}`,
    `c ${OPEN_TREE_ATTR} ${EPERM}`,
    `c 1000 ${ENOSYS}`,
  ];
  assert.deepEqual(r.stdout.trim().split('\n'), expected);
});
