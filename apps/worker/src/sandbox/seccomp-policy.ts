import { SYSCALL_NUMBERS } from './syscalls-x86-64.js';

/**
 * What a task may ask the kernel (S8), decided call by call for every x86_64 system
 * call up to HIGHEST_KNOWN_SYSCALL. The filter is default-deny: a call is allowed only
 * when it is listed here as allowed; any number a later kernel adds gets ENOSYS until
 * someone reviews it and adds it to this file.
 *
 * - ALLOWED: what builds use (compilers, linkers, interpreters, git, make, shells,
 *   coreutils, tar, curl through the proxy, test runners), all of it confined by the
 *   namespaces, the unprivileged user and the cgroup.
 * - ARGUMENT_CHECKED: allowed, except for arguments that seccomp-filter.ts refuses.
 * - REFUSED: reviewed and dangerous; EPERM, the answer of a kernel that says no, so
 *   that a program that probes carries on and a person reading its error understands.
 * - ABSENT: calls the sandbox presents as missing (ENOSYS), because builds do not need
 *   them and programs that try them fall back when the kernel does not have them:
 *   clone3 (its flags are in memory the filter cannot read; libc falls back to clone),
 *   interfaces newer than a build's libc knows, and calls that x86_64 never
 *   implemented. Every number not in the table is answered the same way.
 */

export const ALLOWED: readonly string[] = [
  // Files, directories and descriptors.
  ...['read', 'write', 'open', 'openat', 'openat2', 'creat', 'close', 'close_range'],
  ...['stat', 'fstat', 'lstat', 'newfstatat', 'statx', 'statfs', 'fstatfs'],
  ...['lseek', 'pread64', 'pwrite64', 'readv', 'writev', 'preadv', 'pwritev'],
  ...['preadv2', 'pwritev2', 'access', 'faccessat', 'faccessat2', 'pipe', 'pipe2'],
  ...['dup', 'dup2', 'dup3', 'fcntl', 'flock', 'fsync', 'fdatasync', 'truncate'],
  ...['ftruncate', 'fallocate', 'getdents', 'getdents64', 'getcwd', 'chdir', 'fchdir'],
  ...['rename', 'renameat', 'renameat2', 'mkdir', 'mkdirat', 'rmdir', 'link', 'linkat'],
  ...['unlink', 'unlinkat', 'symlink', 'symlinkat', 'readlink', 'readlinkat'],
  ...['chmod', 'fchmod', 'fchmodat', 'fchmodat2', 'chown', 'fchown', 'lchown'],
  ...['fchownat', 'umask', 'utime', 'utimes', 'utimensat', 'futimesat'],
  // mkfifo is mknod; device nodes need CAP_MKNOD, which the task does not have.
  ...['mknod', 'mknodat'],
  ...['sendfile', 'copy_file_range', 'splice', 'tee', 'vmsplice', 'readahead'],
  ...['fadvise64', 'sync', 'syncfs', 'sync_file_range'],
  ...['setxattr', 'lsetxattr', 'fsetxattr', 'getxattr', 'lgetxattr', 'fgetxattr'],
  ...['listxattr', 'llistxattr', 'flistxattr', 'removexattr', 'lremovexattr'],
  'fremovexattr',
  // Waiting for many things at once.
  ...['select', 'pselect6', 'poll', 'ppoll', 'epoll_create', 'epoll_create1'],
  ...['epoll_ctl', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'eventfd', 'eventfd2'],
  ...['signalfd', 'signalfd4', 'timerfd_create', 'timerfd_settime', 'timerfd_gettime'],
  ...['inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch'],
  ...['io_setup', 'io_destroy', 'io_getevents', 'io_submit', 'io_cancel'],
  'io_pgetevents',
  // Memory.
  ...['mmap', 'mprotect', 'munmap', 'brk', 'mremap', 'msync', 'mincore', 'madvise'],
  ...['mlock', 'mlock2', 'munlock', 'mlockall', 'munlockall', 'remap_file_pages'],
  ...['memfd_create', 'membarrier', 'pkey_mprotect', 'pkey_alloc', 'pkey_free'],
  // A thread's own shadow stack, which a CET-enabled libc maps for each thread.
  'map_shadow_stack',
  // Processes, threads and signals (inside the task's own pid namespace).
  ...['fork', 'vfork', 'execve', 'execveat', 'exit', 'exit_group', 'wait4', 'waitid'],
  ...['kill', 'tkill', 'tgkill', 'pidfd_open', 'pidfd_send_signal'],
  ...['rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'rt_sigpending'],
  ...['rt_sigtimedwait', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'rt_sigsuspend'],
  ...['sigaltstack', 'pause', 'restart_syscall', 'set_tid_address', 'set_robust_list'],
  ...['get_robust_list', 'futex', 'futex_waitv', 'futex_wake', 'futex_wait'],
  ...['futex_requeue', 'rseq', 'arch_prctl', 'prctl'],
  // A process may narrow its own calls further (no_new_privs is set).
  'seccomp',
  ...['getpid', 'getppid', 'gettid', 'getpgid', 'setpgid', 'getpgrp', 'getsid', 'setsid'],
  // Identity and limits: without capabilities only the task's own ids and lower limits.
  ...['getuid', 'geteuid', 'getgid', 'getegid', 'getresuid', 'getresgid', 'getgroups'],
  ...['setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setfsuid'],
  ...['setfsgid', 'setgroups', 'capget', 'capset', 'getrlimit', 'setrlimit'],
  ...['prlimit64', 'getrusage', 'getpriority', 'setpriority', 'ioprio_get', 'ioprio_set'],
  ...['sched_yield', 'sched_setparam', 'sched_getparam', 'sched_setscheduler'],
  ...['sched_getscheduler', 'sched_get_priority_max', 'sched_get_priority_min'],
  ...['sched_rr_get_interval', 'sched_setaffinity', 'sched_getaffinity'],
  ...['sched_setattr', 'sched_getattr', 'getcpu'],
  // Time, read only.
  ...['nanosleep', 'clock_nanosleep', 'gettimeofday', 'time', 'clock_gettime'],
  ...['clock_getres', 'getitimer', 'setitimer', 'alarm', 'timer_create'],
  ...['timer_settime', 'timer_gettime', 'timer_getoverrun', 'timer_delete', 'times'],
  ...['uname', 'sysinfo', 'getrandom'],
  // Sockets once made (socket and socketpair are checked by family).
  ...['connect', 'accept', 'accept4', 'sendto', 'recvfrom', 'sendmsg', 'recvmsg'],
  ...['sendmmsg', 'recvmmsg', 'shutdown', 'bind', 'listen', 'getsockname'],
  ...['getpeername', 'setsockopt', 'getsockopt'],
  // System V and POSIX IPC, in the task's own IPC namespace.
  ...['shmget', 'shmat', 'shmctl', 'shmdt', 'semget', 'semop', 'semctl', 'semtimedop'],
  ...['msgget', 'msgsnd', 'msgrcv', 'msgctl', 'mq_open', 'mq_unlink', 'mq_timedsend'],
  ...['mq_timedreceive', 'mq_notify', 'mq_getsetattr'],
];

/**
 * Allowed with a check of their arguments (seccomp-filter.ts): ioctl without terminal
 * injection, socket and socketpair for AF_UNIX, AF_INET and AF_INET6 only, clone
 * without new namespaces, personality with the values programs use.
 */
export const ARGUMENT_CHECKED = ['ioctl', 'socket', 'socketpair', 'clone', 'personality'];

/** Reviewed and refused with EPERM: each one reaches past the task's own processes and files. */
export const REFUSED: readonly string[] = [
  // Mounts and file systems: the task's view of the host is bubblewrap's, fixed.
  ...['mount', 'umount2', 'pivot_root', 'chroot', 'mount_setattr', 'open_tree'],
  ...['open_tree_attr', 'move_mount', 'fsopen', 'fsconfig', 'fsmount', 'fspick'],
  ...['swapon', 'swapoff', 'quotactl', 'quotactl_fd'],
  // Files by handle bypass the directories the task may not pass through.
  ...['open_by_handle_at', 'name_to_handle_at'],
  // The machine: boot, kernel, modules, clocks, names, I/O ports, the kernel log.
  ...['reboot', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module'],
  ...['delete_module', 'acct', 'syslog', 'iopl', 'ioperm', 'modify_ldt', 'uselib'],
  ...['vhangup', 'sethostname', 'setdomainname', 'settimeofday', 'clock_settime'],
  ...['adjtimex', 'clock_adjtime', 'lookup_dcookie'],
  // Large kernel interfaces a build does not need, each with a history of exploits.
  ...['bpf', 'perf_event_open', 'userfaultfd', 'io_uring_setup', 'io_uring_enter'],
  ...['io_uring_register', 'keyctl', 'add_key', 'request_key', 'fanotify_init'],
  // Other processes and namespaces.
  ...['ptrace', 'process_vm_readv', 'process_vm_writev', 'pidfd_getfd'],
  ...['process_madvise', 'kcmp', 'setns', 'unshare'],
];

/** Reviewed and answered ENOSYS, as if this kernel did not have them (see above). */
export const ABSENT: readonly string[] = [
  'clone3',
  // Mount, namespace and LSM introspection; tools fall back to /proc.
  ...['statmount', 'listmount', 'listns', 'lsm_get_self_attr', 'lsm_set_self_attr'],
  'lsm_list_modules',
  // Newer forms of allowed calls, and interfaces a build does not use.
  ...['setxattrat', 'getxattrat', 'listxattrat', 'removexattrat', 'file_getattr'],
  ...['file_setattr', 'mseal', 'cachestat', 'memfd_secret', 'process_mrelease'],
  ...['landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self'],
  ...['fanotify_mark', 'uretprobe', 'uprobe'],
  // NUMA placement: a worker's task has one node's worth of CPUs; libnuma copes.
  ...['mbind', 'set_mempolicy', 'get_mempolicy', 'set_mempolicy_home_node'],
  ...['migrate_pages', 'move_pages'],
  // Obsolete, or never implemented on x86_64.
  ...['_sysctl', 'ustat', 'sysfs', 'create_module', 'get_kernel_syms', 'query_module'],
  ...['nfsservctl', 'getpmsg', 'putpmsg', 'afs_syscall', 'tuxcall', 'security'],
  ...['set_thread_area', 'get_thread_area', 'epoll_ctl_old', 'epoll_wait_old', 'vserver'],
];

export type Verdict = 'allow' | 'check-arguments' | 'refuse' | 'absent';

let decided: ReadonlyMap<string, Verdict> | undefined;

/** The verdict for a call of the table; throws for a call no list names. */
export function verdictOf(name: string): Verdict {
  decided ??= verdicts();
  const verdict = decided.get(name);
  if (verdict === undefined) throw new Error(`the seccomp policy has no verdict for ${name}`);
  return verdict;
}

/** Every call of the table in exactly one list, and no list naming a call the table lacks. */
function verdicts(): Map<string, Verdict> {
  const map = new Map<string, Verdict>();
  const lists: [Verdict, readonly string[]][] = [
    ['allow', ALLOWED],
    ['check-arguments', ARGUMENT_CHECKED],
    ['refuse', REFUSED],
    ['absent', ABSENT],
  ];
  for (const [verdict, names] of lists) {
    for (const name of names) {
      if (!SYSCALL_NUMBERS.has(name)) throw new Error(`the seccomp policy names ${name}, unknown`);
      if (map.has(name)) throw new Error(`the seccomp policy decides ${name} twice`);
      map.set(name, verdict);
    }
  }
  const undecided = [...SYSCALL_NUMBERS.keys()].filter((name) => !map.has(name));
  if (undecided.length > 0) {
    throw new Error(`the seccomp policy has no verdict for ${undecided.join(', ')}`);
  }
  return map;
}
