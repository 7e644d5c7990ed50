import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { weakenedWarning } from './bwrap-command.js';
import type { ExecutionRequest, ExecutionResult, Executor, NetworkPolicy } from './engine.js';
import { PROBE_PORTS, ProbeDestination } from './network/probe-destination.js';

export interface ControlCheck {
  control: string;
  ok: boolean;
  /** What failed and how to fix it, when it did. */
  detail?: string;
}

/** Hostile probes, one line of output per control; nothing here writes outside /tmp. */
const ISOLATION_PROBE = (hostFile: string): string =>
  [
    'import os, socket, ctypes',
    'libc = ctypes.CDLL(None, use_errno=True)',
    'status = open("/proc/self/status").read()',
    'field = lambda n: [l.split()[1] for l in status.splitlines() if l.startswith(n + ":")][0]',
    'print("uid", os.getuid())',
    'print("capeff", field("CapEff")); print("nnp", field("NoNewPrivs")); print("seccomp", field("Seccomp"))',
    'def attempt(f):',
    '  try: f(); return "ok"',
    '  except OSError as e: return e.errno',
    'print("vsock", attempt(lambda: socket.socket(40, socket.SOCK_STREAM)))',
    // A target that does not exist: even where nothing refuses it, nothing is mounted.
    'r = libc.mount(b"none", b"/nonexistent-bulwark-probe", b"tmpfs", 0, None)',
    'print("mount", "ok" if r == 0 else ctypes.get_errno())',
    'print("interfaces", len(open("/proc/net/dev").read().splitlines()[2:]))',
    // connect() on a UDP socket only looks the route up: no packet is ever sent.
    'print("route", attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).connect(("203.0.113.1", 9))))',
    // Asks the kernel without writing anything (a probe run by a broken engine must not
    // leave files on the host).
    'print("usr", "writable" if os.access("/usr", os.W_OK) else "read-only")',
    'print("pids", len([p for p in os.listdir("/proc") if p.isdigit()]))',
    `print("hostfile", "visible" if os.path.exists(${JSON.stringify(hostFile)}) else "hidden")`,
  ].join('\n');

const LIMITS_PROBE = [
  'import os, sys, time',
  'failed = 0',
  'for i in range(40):',
  '  try:',
  '    if os.fork() == 0: time.sleep(5); os._exit(0)',
  '  except OSError: failed += 1',
  'print("forkfail", failed); sys.stdout.flush()',
  'b = []',
  'while len(b) < 256: b.append(bytearray(1 << 20))',
  'print("memory", "unlimited")',
].join('\n');

/** Writes 1 MiB at a time, up to 4 times its 16 MB limit, and says how the writing ended. */
const DISK_PROBE = [
  'import os',
  'f = open("/task/self-test-fill", "wb")',
  'buf = b"x" * (1 << 20)',
  'try:',
  '  for i in range(64): f.write(buf); f.flush()',
  '  os.fsync(f.fileno()); print("diskwrite ok")',
  'except OSError as e: print("diskwrite", e.errno)',
].join('\n');
const DISK_PROBE_MB = 16;
const EDQUOT = 122;

/**
 * Inside an allowlist task: the listed destination, the same host's unlisted port and
 * the task's gateway (the worker host), one line each.
 */
const ALLOWLIST_PROBE = (address: string): string =>
  [
    'import socket',
    'def tcp(host, port):',
    '  try:',
    '    s = socket.create_connection((host, port), timeout=3)',
    '    return s.recv(16).decode() or "empty"',
    '  except OSError as e: return "refused-%s" % (e.errno or "timeout")',
    'gw = [l.split()[2] for l in open("/proc/net/route").read().splitlines()[1:] if int(l.split()[3], 16) & 2]',
    'gateway = socket.inet_ntoa(bytes.fromhex(gw[0])[::-1]) if gw else "none"',
    `print("listed", tcp("${address}", ${PROBE_PORTS.listed}))`,
    `print("unlisted", tcp("${address}", ${PROBE_PORTS.unlisted}))`,
    `print("gateway", tcp(gateway, ${PROBE_PORTS.listed}))`,
  ].join('\n');

const FIX_PACKAGES =
  'check that bubblewrap, util-linux (setpriv, nsenter), iproute2, nftables and python3 are installed (scripts/system-packages.sh) and that the worker runs as root with a writable cgroup hierarchy (on cgroup v2, with memory, pids and cpu enabled for child cgroups)';

/**
 * Proves each control of the engine with a hostile probe run through it (S9), and
 * returns one result per control: the worker refuses to start when one fails,
 * naming the control and the fix. The isolation probe, then a limits probe that forks
 * past its pids limit and allocates past its memory limit, a disk probe that writes
 * past its disk limit (S19), then (for a pool that permits destinations) the
 * allowlist probe.
 */
export async function selfTest(
  engine: Executor,
  workDir: string,
  options: {
    /**
     * Runs the allowlist probe; `networkTag` (the worker's) names its destination, so
     * recovery finds it after a crash. Pools that permit no destination never open a
     * network, and their hosts need not forward.
     */
    allowlistProbe?: { networkTag: string };
  } = {},
): Promise<ControlCheck[]> {
  const taskDir = await mkdtemp(join(workDir, 'self-test-'));
  // A file of the worker's, outside the task directory: the task must not see it.
  const hostFile = join(workDir, `self-test-host-file-${randomBytes(6).toString('hex')}`);
  await writeFile(hostFile, 'worker\n', { mode: 0o600 });
  try {
    const isolation = await probe(engine, taskDir, ISOLATION_PROBE(hostFile), {
      memoryMB: 128,
      pids: 32,
      cpus: 1,
      diskMB: 64,
    });
    if (isolation.result.outcome !== 'exited' || isolation.result.exitCode !== 0) {
      return [notRun('sandbox start', isolation)];
    }
    const limits = await probe(engine, taskDir, LIMITS_PROBE, {
      memoryMB: 48,
      pids: 8,
      cpus: 1,
      diskMB: 64,
    });
    const disk = await probe(engine, taskDir, DISK_PROBE, {
      memoryMB: 64,
      pids: 8,
      cpus: 1,
      diskMB: DISK_PROBE_MB,
    });
    const allowlist = options.allowlistProbe
      ? await allowlistChecks(engine, taskDir, options.allowlistProbe.networkTag)
      : [];
    return [
      check(
        'no test-only switch',
        weakenedWarning(engine.weakenedForTests) === undefined,
        'the engine was built with test-only switches off (weakenedForTests); no worker runs so',
      ),
      ...isolationChecks(isolation.text),
      ...limitChecks(limits),
      diskCheck(disk),
      ...allowlist,
    ];
  } finally {
    await rm(taskDir, { recursive: true, force: true });
    await rm(hostFile, { force: true });
  }
}

interface ProbeRun {
  result: ExecutionResult;
  text: string;
}

async function probe(
  engine: Executor,
  taskDir: string,
  code: string,
  resources: ExecutionRequest['resources'],
  network: NetworkPolicy = { mode: 'none' },
): Promise<ProbeRun> {
  const output = new PassThrough();
  let text = '';
  output.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const result = await engine.run({
    commands: [['/usr/bin/python3', '-c', code]],
    env: {},
    taskDir,
    resources,
    maxRunTime: 30,
    network,
    proxySocket: undefined,
    stdout: output,
    stderr: output,
    signal: new AbortController().signal,
  });
  return { result, text };
}

function notRun(control: string, run: ProbeRun): ControlCheck {
  const said = run.result.message ?? run.text.trim().slice(0, 300);
  return {
    control,
    ok: false,
    detail: `the probe did not run (${run.result.outcome}): ${said}; ${FIX_PACKAGES}`,
  };
}

function check(control: string, ok: boolean, fix: string): ControlCheck {
  return ok ? { control, ok } : { control, ok, detail: fix };
}

function diskCheck(run: ProbeRun): ControlCheck {
  const ended = /^diskwrite (.*)$/m.exec(run.text)?.[1];
  return check(
    'disk limit',
    ended === String(EDQUOT) && run.result.outcome === 'disk-full',
    `writing past the task's ${DISK_PROBE_MB} MB disk limit must fail with EDQUOT and be reported (btrfs quota groups on the worker's task disk), not "${ended ?? run.text.trim().slice(0, 200)}" (${run.result.outcome}${run.result.message ? `: ${run.result.message}` : ''})`,
  );
}

function isolationChecks(text: string): ControlCheck[] {
  const value = (key: string): string | undefined =>
    new RegExp(`^${key} (.*)$`, 'm').exec(text)?.[1];
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
      'bubblewrap must load the seccomp filter (--seccomp); it needs a kernel with seccomp filters',
    ),
    check(
      'AF_VSOCK refused',
      value('vsock') === '97',
      'the seccomp filter must refuse AF_VSOCK sockets: a network namespace does not isolate them',
    ),
    check(
      'mount refused',
      value('mount') === '1',
      'the seccomp filter must refuse mount (EPERM) inside the sandbox',
    ),
    check(
      'network namespace',
      value('interfaces') === '1',
      'tasks must start in an empty network namespace (only lo): bubblewrap --unshare-net',
    ),
    check(
      'no route out',
      value('route') === '101',
      'a task without network.allow must have no route anywhere (ENETUNREACH)',
    ),
    check('read-only system', value('usr') !== 'writable', '/usr must be mounted read-only'),
    check(
      'pid namespace',
      Number(value('pids') ?? '99') <= 3,
      'tasks must start in their own pid namespace (--unshare-pid)',
    ),
    check(
      'worker files hidden',
      value('hostfile') === 'hidden',
      "the sandbox must show nothing of the host's files but /usr, a few /etc files and the task directory",
    ),
  ];
}

function limitChecks(run: ProbeRun): ControlCheck[] {
  const forkFailures = Number(/^forkfail (\d+)$/m.exec(run.text)?.[1] ?? '0');
  return [
    check(
      'pids limit',
      forkFailures > 0,
      `forks past the task's pids limit must fail (cgroup pids controller): ${FIX_PACKAGES}`,
    ),
    check(
      'memory limit',
      run.result.outcome === 'oom',
      `allocating past the task's memory limit must end in an out-of-memory kill that is reported (cgroup memory controller), not ${run.result.outcome}`,
    ),
  ];
}

/**
 * The allowlist probe (S7, S9): a task that lists one port of a destination the
 * self-test serves from a namespace of its own must reach that port, and be refused the
 * destination's other port and the worker host. This runs the whole allowlist path:
 * both firewalls loaded and read back, the task's routes, and the teardown.
 */
async function allowlistChecks(
  engine: Executor,
  taskDir: string,
  tag: string,
): Promise<ControlCheck[]> {
  const controls = ['allowlist reaches a listed destination', 'allowlist refuses the rest'];
  let destination: ProbeDestination;
  try {
    destination = await ProbeDestination.create(tag);
  } catch (err) {
    const detail = `the self-test could not serve its probe destination (${(err as Error).message}); ${FIX_PACKAGES}`;
    return controls.map((control) => ({ control, ok: false, detail }));
  }
  try {
    const network: NetworkPolicy = {
      mode: 'allowlist',
      allow: [{ host: destination.address, port: PROBE_PORTS.listed }],
    };
    const resources = { memoryMB: 128, pids: 32, cpus: 1, diskMB: 64 };
    const run = await probe(
      engine,
      taskDir,
      ALLOWLIST_PROBE(destination.address),
      resources,
      network,
    );
    if (run.result.outcome !== 'exited' || run.result.exitCode !== 0) {
      return controls.map((control) => notRun(control, run));
    }
    const value = (key: string): string =>
      new RegExp(`^${key} (.*)$`, 'm').exec(run.text)?.[1] ?? '';
    return [
      check(
        controls[0] as string,
        value('listed') === 'listed',
        `a task listing ${destination.address}:${PROBE_PORTS.listed} must reach it (it got ${value('listed') || 'nothing'}); the worker host must forward the task's packets (nftables, iproute2; another firewall's forward policy, Docker's for example, must not drop them)`,
      ),
      check(
        controls[1] as string,
        value('unlisted').startsWith('refused-') && value('gateway').startsWith('refused-'),
        `a task must be refused every destination its allowlist does not list (unlisted port: ${value('unlisted') || 'nothing'}, worker host: ${value('gateway') || 'nothing'}); the task's firewalls are not in force`,
      ),
    ];
  } finally {
    await destination.close();
  }
}
