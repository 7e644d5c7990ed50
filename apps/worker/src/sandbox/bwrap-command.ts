import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Where things appear inside the sandbox. */
export const SANDBOX_TASK_DIR = '/task';
export const SANDBOX_PROXY_DIR = '/run/bulwark';
export const SANDBOX_FORWARDER = '/opt/bulwark/forwarder.js';

/**
 * Descriptors the engine opens and hands to bubblewrap at these numbers (the spawn's
 * stdio[3...]); bubblewrap reads their contents. Directories are bound by path: a
 * process that changed its uid cannot open its own /proc/self/fd links.
 */
export const FD = { seccomp: 3, forwarder: 4 } as const;

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
  /** Owned by the sandbox user; its ancestors must let that user pass (0711). */
  taskDir: string;
  env: Record<string, string>;
  /** The proxy's unix socket, alone in its directory, which is bound in read-only. */
  proxySocket: string | undefined;
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
    '--unshare-user',
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
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
 * A tiny shell that moves itself into the task's cgroup (every controller) before it
 * execs anything, so the task is confined from its first instruction: the cgroup is
 * inherited by everything it starts. Exit 125 when it cannot join (fail closed, S9).
 */
export const JOIN_CGROUP_SCRIPT =
  'while [ "$1" != "--" ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';
