/**
 * The command line that starts a PostgreSQL program (initdb or the server) so that:
 *
 * - as root, it runs in a private mount namespace in which the directories it needs
 *   (the binaries, the cluster) are bind-mounted under the per-start runtime
 *   directory, then as the server user. The server user thus reaches them wherever
 *   they are, even under directories only their owner may enter, and no permission
 *   of the user's own directories is loosened (S11). The mounts vanish with the
 *   namespace, that is with the program.
 * - it receives a signal when our process dies, however it dies (SIGKILL included):
 *   PR_SET_PDEATHSIG, set by setpriv after it changed the user (a change of user
 *   clears it). The server answers SIGINT with a fast shutdown, initdb by removing
 *   its half-made cluster.
 *
 * Everything is passed as separate arguments: no path is ever interpreted by a shell.
 */

export interface BindMount {
  readonly source: string;
  /** An existing, empty directory under the runtime directory. */
  readonly target: string;
  readonly readOnly: boolean;
}

export interface LaunchOptions {
  /** Undefined: run as ourselves, without a mount namespace (we are not root). */
  readonly user: { readonly uid: number; readonly gid: number } | undefined;
  readonly mounts: readonly BindMount[];
  readonly file: string;
  readonly args: readonly string[];
}

/** Mounts the (options, source, target) triplets before `--`, then execs the rest. */
export const MOUNT_SCRIPT = [
  'set -e',
  'while [ "$1" != -- ]; do mount --bind -o "$1" -- "$2" "$3"; shift 3; done',
  'shift',
  'exec "$@"',
].join('\n');

/** The signal the program gets when our process dies: a fast, clean shutdown. */
export const PARENT_DEATH_SIGNAL = 'INT';

/** argv (program first) that runs `file args` as described above. */
export function launchArguments(options: LaunchOptions): string[] {
  const program = [options.file, ...options.args];
  if (process.platform !== 'linux') return program;
  const deathSignal = ['--pdeathsig', PARENT_DEATH_SIGNAL];
  if (options.user === undefined) return ['setpriv', ...deathSignal, '--', ...program];
  const mounts = options.mounts.flatMap((m) => [
    m.readOnly ? 'ro,nosuid,nodev' : 'rw,nosuid,nodev',
    m.source,
    m.target,
  ]);
  return [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    '--',
    '/bin/sh',
    '-c',
    MOUNT_SCRIPT,
    'bulwark-pg-mounts',
    ...mounts,
    '--',
    'setpriv',
    `--reuid=${options.user.uid}`,
    `--regid=${options.user.gid}`,
    '--clear-groups',
    ...deathSignal,
    '--',
    ...program,
  ];
}
