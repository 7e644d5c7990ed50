import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Where things appear inside the sandbox. */
export const SANDBOX_TASK_DIR = '/task';
export const SANDBOX_PROXY_DIR = '/run/bulwark';
export const SANDBOX_FORWARDER = '/opt/bulwark/forwarder.js';

/**
 * Descriptors the engine hands the launcher at these numbers (the spawn's stdio[3...]).
 * bubblewrap reads four: the seccomp program, the sandbox's /etc/hosts, the proxy
 * forwarder's source, and its own options (`--args`), so that nothing of a task, its
 * environment above all, is ever on a command line, which every user of the host can
 * read in /proc/<pid>/cmdline (S1). The launcher reports on `joined` that it entered
 * the cgroup, and closes it before anything of the task runs. It then waits for a line
 * on `go` and reads the chain to exec from the file at `argv`. Directories are bound
 * by path: a process that changed its uid cannot open its own /proc/self/fd links.
 */
export const FD = {
  seccomp: 3,
  hosts: 4,
  forwarder: 5,
  joined: 6,
  go: 7,
  argv: 8,
  args: 9,
} as const;

/** System files a build needs to run programs, read-only; nothing else of the host. */
const READ_ONLY_FILES = [
  '/etc/ld.so.cache',
  '/etc/passwd',
  '/etc/group',
  '/etc/nsswitch.conf',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/alternatives',
  '/etc/localtime',
];

export interface BwrapOptions {
  /** Owned by the sandbox user; its ancestors must let that user pass (0710 to its group). */
  taskDir: string;
  env: Record<string, string>;
  /** The proxy's unix socket, alone in its directory, which is bound in read-only. */
  proxySocket: string | undefined;
  /**
   * Whether the launcher already entered the task's own network namespace (allowlist
   * mode). Otherwise bubblewrap makes a new, empty one.
   */
  shareNet: boolean;
  argv: string[];
  /** Controls switched off for the exercise's weakened targets only (see WeakenedForTests). */
  weakened?: WeakenedForTests;
}

/**
 * Single controls a test switches off to show that the red-team exercise notices each
 * one missing (an exercise that cannot report a breach proves nothing). Never set by
 * production code: the worker's configuration has no key for it, the worker's self-test
 * fails without them, and the engine labels every task log it affects.
 */
export interface WeakenedForTests {
  /** No seccomp filter: every system call the kernel lets an unprivileged user make. */
  seccomp?: false;
  /** No pid namespace: the host's processes are visible in the host's own /proc. */
  pidNamespace?: false;
  /** No network namespace (without an allowlist): the task shares the host's network. */
  network?: false;
  /** The task proxy forwards any request target as it came, not only canonical ones. */
  proxyPathCheck?: false;
  /** Secret values the task fetches through its proxy are not masked in its log. */
  masking?: false;
}

/** The warning each weakened task log starts with, naming what is switched off. */
export function weakenedWarning(weakened: WeakenedForTests | undefined): string | undefined {
  const off = [
    ...(weakened?.seccomp === false ? ['no seccomp'] : []),
    ...(weakened?.pidNamespace === false ? ['no pid namespace'] : []),
    ...(weakened?.network === false ? ['no network namespace'] : []),
    ...(weakened?.proxyPathCheck === false ? ['no proxy path check'] : []),
    ...(weakened?.masking === false ? ['no secret masking'] : []),
  ];
  return off.length > 0 ? `WARNING: test-only weakened sandbox: ${off.join(', ')}` : undefined;
}

/** How bubblewrap is started for one command. */
export interface BwrapInvocation {
  /**
   * Its options, the task's environment among them: written NUL-separated to FD.args,
   * never on a command line (S1).
   */
  options: string[];
  /** Its command line: `--args FD -- command...`, the command being the task's own. */
  commandLine: string[];
}

/**
 * bubblewrap's options for one command (S6, S8): every namespace new (the pid
 * namespace is what takes daemons down with the task), no user namespaces inside,
 * no capabilities, a fresh session (no terminal injection), read-only /usr and a few
 * /etc files, private /proc, /dev and /tmp, the task directory writable at /task,
 * a clean environment with the task's variables, and the seccomp program from fd 3.
 * bubblewrap reads the options from FD.args; the command cannot go there (bubblewrap
 * takes it from its command line only), and needs not: it is the task's own argv,
 * which its process shows anyway.
 */
export function bwrapInvocation(options: BwrapOptions): BwrapInvocation {
  const pidNamespace = options.weakened?.pidNamespace !== false;
  // Weakened (test-only): the host's network namespace instead of an empty one.
  const shareNet = options.shareNet || options.weakened?.network === false;
  const args = [
    ...(pidNamespace ? ['--unshare-all', ...(shareNet ? ['--share-net'] : [])] : []),
    // Weakened: the namespaces --unshare-all makes, the pid namespace left out.
    ...(pidNamespace
      ? []
      : ['--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try'].concat(
          shareNet ? [] : ['--unshare-net'],
        )),
    '--unshare-user',
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--hostname',
    'task',
    '--cap-drop',
    'ALL',
    '--ro-bind',
    '/usr',
    '/usr',
    '--symlink',
    'usr/lib',
    '/lib',
    '--symlink',
    'usr/lib64',
    '/lib64',
    '--symlink',
    'usr/bin',
    '/bin',
    '--symlink',
    'usr/sbin',
    '/sbin',
  ];
  for (const file of READ_ONLY_FILES) {
    if (existsSync(file)) args.push('--ro-bind', file, file);
  }
  args.push(
    '--ro-bind-data',
    String(FD.hosts),
    '/etc/hosts',
    // Only the owner of a pid namespace may mount its proc: without one, the host's.
    ...(pidNamespace ? ['--proc', '/proc'] : ['--ro-bind', '/proc', '/proc']),
    '--dev',
    '/dev',
    '--tmpfs',
    '/tmp',
    '--bind',
    options.taskDir,
    SANDBOX_TASK_DIR,
    '--chdir',
    SANDBOX_TASK_DIR,
    '--clearenv',
  );
  const env: Record<string, string> = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: SANDBOX_TASK_DIR,
    TMPDIR: '/tmp',
    ...options.env,
  };
  for (const [name, value] of Object.entries(env)) args.push('--setenv', name, value);
  let argv = options.argv;
  if (options.proxySocket !== undefined) {
    args.push('--ro-bind', dirname(options.proxySocket), SANDBOX_PROXY_DIR);
    args.push('--ro-bind-data', String(FD.forwarder), SANDBOX_FORWARDER);
    // The forwarder listens on the sandbox's own loopback, then runs the command.
    const socket = `${SANDBOX_PROXY_DIR}/${basename(options.proxySocket)}`;
    argv = ['/usr/bin/node', SANDBOX_FORWARDER, socket, '--', ...argv];
  }
  if (options.weakened?.seccomp !== false) args.push('--seccomp', String(FD.seccomp));
  return { options: args, commandLine: ['--args', String(FD.args), '--', ...argv] };
}

/**
 * The launcher (bash, for descriptors above 9): it moves itself into the task's cgroup
 * (every controller) and only then execs the rest of the chain (nsenter, setpriv,
 * bwrap), so the task is confined from its first instruction: the cgroup is inherited
 * by all it starts. It closes every descriptor the worker itself may have inherited
 * (only 0-2 and bubblewrap's inputs stay), says `joined` on FD.joined and closes that
 * too, so nothing the task runs can claim to be the launcher. When it cannot join,
 * it stops there (fail closed, S9).
 *
 * The engine starts it without a command after `--`: it joins and then waits (ahead
 * of its task, when the worker prepares the next start: entering a cgroup costs the
 * kernel an RCU grace period, 10 to 30 ms, that the task then need not wait for). The
 * line `go [FD...]` on FD.go starts it: it closes the descriptors named (inputs this
 * task does not use), reads the chain's NUL-separated arguments from the regular file
 * at FD.argv (bash reads a pipe one byte per system call, a file in blocks), closes
 * both and execs the chain, which finds bubblewrap's options on FD.args. End of file
 * on FD.go, which is also what it reads when the worker dies, makes it exit without
 * running anything. With a command after `--` it joins and execs that command at once,
 * keeping no descriptor above FD.joined: for commands that carry nothing of a task.
 */
export const JOIN_CGROUP_SCRIPT = [
  'while [ "$1" != "--" ]; do echo $$ > "$1" || exit 125; shift; done; shift',
  `keep=${FD.joined}; [ $# -eq 0 ] && keep=${FD.args}`,
  'for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt $keep ] && eval "exec $n>&-"; done',
  `echo joined >&${FD.joined}; exec ${FD.joined}>&-`,
  'if [ $# -eq 0 ]; then',
  `  read -r -a go <&${FD.go} && [ "\${go[0]}" = go ] || exit 125`,
  `  for n in "\${go[@]:1}"; do case $n in ''|*[!0-9]*) exit 125;; esac; eval "exec $n>&-"; done`,
  `  mapfile -d '' -t -u ${FD.argv} argv && [ \${#argv[@]} -gt 0 ] || exit 125`,
  `  exec ${FD.go}>&- ${FD.argv}>&-; set -- "\${argv[@]}"`,
  'fi',
  'exec "$@"',
].join('\n');

/**
 * What the launcher execs once in the cgroup: enter the network namespace if any, drop
 * to the user, bwrap with its command line (its options are on FD.args).
 */
export function chainArguments(options: {
  netnsPath: string | undefined;
  uid: number;
  gid: number;
  bwrap: readonly string[];
}): string[] {
  return [
    ...(options.netnsPath !== undefined ? ['nsenter', `--net=${options.netnsPath}`, '--'] : []),
    'setpriv',
    `--reuid=${options.uid}`,
    `--regid=${options.gid}`,
    '--clear-groups',
    '--inh-caps=-all',
    '--no-new-privs',
    '--',
    'bwrap',
    ...options.bwrap,
  ];
}

/** The launcher's argv: join the cgroup, then exec `chain`, or wait for one when it is empty. */
export function launcherArguments(
  procsFiles: readonly string[],
  chain: readonly string[],
): string[] {
  return [
    '--norc',
    '--noprofile',
    '-c',
    JOIN_CGROUP_SCRIPT,
    'launcher',
    ...procsFiles,
    '--',
    ...chain,
  ];
}
