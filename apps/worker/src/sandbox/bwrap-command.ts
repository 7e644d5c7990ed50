import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Where things appear inside the sandbox. */
export const SANDBOX_TASK_DIR = '/task';
export const SANDBOX_PROXY_DIR = '/run/bulwark';
export const SANDBOX_FORWARDER = '/opt/bulwark/forwarder.js';

/**
 * Descriptors the engine hands the launcher at these numbers (the spawn's stdio[3...]).
 * bubblewrap reads the first three: the seccomp program, the sandbox's /etc/hosts and
 * the proxy forwarder's source. The launcher reports on `joined` that it entered the
 * cgroup, and closes it before anything of the task runs. A launcher started ahead of
 * its task (no command on its command line) waits for a line on `go`, then reads the
 * command from the file at `argv`. Directories are bound by path: a process that
 * changed its uid cannot open its own /proc/self/fd links.
 */
export const FD = { seccomp: 3, hosts: 4, forwarder: 5, joined: 6, go: 7, argv: 8 } as const;

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
}

/**
 * bubblewrap's arguments for one command (S6, S8): every namespace new (the pid
 * namespace is what takes daemons down with the task), no user namespaces inside,
 * no capabilities, a fresh session (no terminal injection), read-only /usr and a few
 * /etc files, private /proc, /dev and /tmp, the task directory writable at /task,
 * a clean environment, and the seccomp program from fd 3.
 */
export function bwrapArguments(options: BwrapOptions): string[] {
  const args = [
    '--unshare-all',
    ...(options.shareNet ? ['--share-net'] : []),
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
    '--proc',
    '/proc',
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
  args.push('--seccomp', String(FD.seccomp), '--', ...argv);
  return args;
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
 * Without a command after `--`, it joins and then waits (ahead of its task: entering
 * a cgroup costs the kernel an RCU grace period, 10 to 30 ms, that the task then need
 * not wait for). The line `go [FD...]` on FD.go starts it: it closes the descriptors
 * named (inputs this task does not use), reads the chain's NUL-separated arguments
 * from the regular file at FD.argv (bash reads a pipe one byte per system call, a
 * file in blocks), closes both and execs the chain. End of file on FD.go, which is
 * also what it reads when the worker dies, makes it exit without running anything.
 */
export const JOIN_CGROUP_SCRIPT = [
  'while [ "$1" != "--" ]; do echo $$ > "$1" || exit 125; shift; done; shift',
  `keep=${FD.joined}; [ $# -eq 0 ] && keep=${FD.argv}`,
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

/** What the launcher execs once in the cgroup: enter the network namespace if any, drop to the user, bwrap. */
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

/** The launcher's argv: join the cgroup, then exec `chain`, or wait for it when it is empty. */
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
