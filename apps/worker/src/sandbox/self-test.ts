import { mkdtemp, chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Executor } from '../daemon/executor.js';

export interface ControlCheck {
  control: string;
  ok: boolean;
  /** What failed and how to fix it, when it did. */
  detail?: string;
}

const PROBE = [
  'import os, socket, ctypes',
  'status = open("/proc/self/status").read()',
  'field = lambda n: [l.split()[1] for l in status.splitlines() if l.startswith(n + ":")][0]',
  'print("uid", os.getuid())',
  'print("capeff", field("CapEff")); print("nnp", field("NoNewPrivs")); print("seccomp", field("Seccomp"))',
  'def vsock():',
  '  try: socket.socket(40, socket.SOCK_STREAM); return "open"',
  '  except OSError as e: return e.errno',
  'print("vsock", vsock())',
  'print("interfaces", len([l for l in open("/proc/net/dev").read().splitlines()[2:]]))',
  // Asks the kernel without writing anything (a probe run by a broken engine must not
  // leave files on the host).
  'print("usr", "writable" if os.access("/usr", os.W_OK) else "read-only")',
  'print("pids", len([p for p in os.listdir("/proc") if p.isdigit()]))',
].join('\n');

/**
 * Proves each control of the engine with a hostile probe run through it (S9): the
 * worker refuses to start when one fails, naming the control and the fix.
 */
export async function selfTest(engine: Executor, workDir: string): Promise<ControlCheck[]> {
  const taskDir = await mkdtemp(join(workDir, 'self-test-'));
  await chmod(workDir, 0o711);
  const output = new PassThrough();
  let text = '';
  output.on('data', (chunk: Buffer) => (text += chunk.toString()));
  try {
    const result = await engine.run({
      commands: [['/usr/bin/python3', '-c', PROBE]],
      env: {},
      taskDir,
      resources: { memoryMB: 128, pids: 32, cpus: 1 },
      maxRunTime: 30,
      networkAllow: [],
      proxySocket: undefined,
      output,
      signal: new AbortController().signal,
    });
    if (result.outcome !== 'exited' || result.exitCode !== 0) {
      return [
        {
          control: 'sandbox start',
          ok: false,
          detail: `the probe did not run (${result.outcome}): ${result.message ?? text.trim()}; check that bubblewrap, setpriv and python3 are installed (scripts/system-packages.sh) and that the cgroup hierarchy is writable`,
        },
      ];
    }
  } finally {
    await rm(taskDir, { recursive: true, force: true });
  }
  const value = (key: string): string | undefined =>
    new RegExp(`^${key} (.*)$`, 'm').exec(text)?.[1];
  const check = (control: string, ok: boolean, fix: string): ControlCheck =>
    ok ? { control, ok } : { control, ok, detail: fix };
  return [
    check(
      'unprivileged user',
      value('uid') !== '0',
      'tasks must not run as root: set the sandbox uid to an unprivileged user',
    ),
    check(
      'no capabilities',
      /^0+$/.test(value('capeff') ?? ''),
      'bubblewrap must drop every capability (--cap-drop ALL)',
    ),
    check('no_new_privs', value('nnp') === '1', 'setpriv --no-new-privs must be available'),
    check(
      'seccomp filter',
      value('seccomp') === '2',
      'bubblewrap must load the seccomp filter (--seccomp)',
    ),
    check(
      'AF_VSOCK refused',
      value('vsock') === '97',
      'the seccomp filter must refuse AF_VSOCK sockets',
    ),
    check(
      'network namespace',
      value('interfaces') === '1',
      'tasks must start in an empty network namespace (only lo)',
    ),
    check('read-only system', value('usr') !== 'writable', '/usr must be mounted read-only'),
    check(
      'pid namespace',
      Number(value('pids') ?? '99') <= 3,
      'tasks must start in their own pid namespace (--unshare-pid)',
    ),
  ];
}
