// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { evaluate, validateProgram } from './bpf-interpreter.js';
import {
  BPF_JEQ_K,
  BPF_LD_W_ABS,
  BPF_RET_K,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
} from './bpf.js';
import {
  ALLOWED_PERSONALITIES,
  ALLOWED_SOCKET_FAMILIES,
  AUDIT_ARCH_X86_64,
  BTRFS_IOCTL_TYPE,
  CLONE_NAMESPACE_FLAGS,
  EAFNOSUPPORT,
  ENOSYS,
  EPERM,
  OFFSET_ARCH,
  seccompFilterBytes,
  seccompProgram,
  TIOCLINUX,
  TIOCSTI,
  X32_SYSCALL_BIT,
} from './seccomp-filter.js';
import { ABSENT, ALLOWED, ARGUMENT_CHECKED, REFUSED, verdictOf } from './seccomp-policy.js';
import { HIGHEST_KNOWN_SYSCALL, SYSCALL_NUMBERS, syscallNumber } from './syscalls-x86-64.js';

const program = seccompProgram();
const x86 = (nr: number, ...args: number[]) =>
  evaluate(program, { nr, arch: AUDIT_ARCH_X86_64, args });
const call = (name: string, ...args: number[]) => x86(syscallNumber(name), ...args);
const errno = (value: number): number => (SECCOMP_RET_ERRNO | value) >>> 0;

test('the program is well formed: known opcodes, loads in bounds, jumps land inside, ends returning', () => {
  validateProgram(program);
  assert.equal(seccompFilterBytes().length, program.length * 8);
  // The verifier catches what a wrong generator would produce.
  assert.throws(() => validateProgram([{ code: BPF_JEQ_K, jt: 5, jf: 0, k: 1 }]), /past the end/);
  assert.throws(() => validateProgram([{ code: BPF_JEQ_K, jt: 256, jf: 0, k: 1 }]), /not fit/);
  assert.throws(() => validateProgram([{ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: 64 }]), /outside/);
  assert.throws(() => validateProgram([{ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: 0 }]), /returning/);
});

test('the system call table matches the kernel’s numbers, and the policy decides each call once', () => {
  // Spot checks against arch/x86/entry/syscalls/syscall_64.tbl.
  const known: [string, number][] = [
    ['read', 0],
    ['execve', 59],
    ['ptrace', 101],
    ['mount', 165],
    ['uretprobe', 335],
    ['io_uring_setup', 425],
    ['clone3', 435],
    ['statmount', 457],
    ['listmount', 458],
    ['mseal', 462],
    ['open_tree_attr', 467],
    ['listns', 470],
  ];
  for (const [name, nr] of known) assert.equal(syscallNumber(name), nr, name);
  assert.equal(HIGHEST_KNOWN_SYSCALL, 470);
  // 0..336 and 424..470.
  assert.equal(SYSCALL_NUMBERS.size, 337 + 47);
  const lists = [ALLOWED, ARGUMENT_CHECKED, REFUSED, ABSENT];
  assert.equal(
    lists.reduce((sum, list) => sum + list.length, 0),
    SYSCALL_NUMBERS.size,
  );
  for (const name of SYSCALL_NUMBERS.keys()) verdictOf(name);
  assert.throws(() => verdictOf('no_such_call'), /no verdict/);
  assert.throws(() => syscallNumber('no_such_call'), /no x86_64 system call/);
});

test('the arch is checked first; a foreign arch or an x32 call kills the process', () => {
  assert.deepEqual(program[0], { code: BPF_LD_W_ABS, jt: 0, jf: 0, k: OFFSET_ARCH });
  assert.deepEqual(program[2], { code: BPF_RET_K, jt: 0, jf: 0, k: SECCOMP_RET_KILL_PROCESS });
  const i386 = 0x40000003;
  const aarch64 = 0xc00000b7;
  for (const arch of [i386, aarch64]) {
    for (const nr of [0, 41, 59, 165]) {
      assert.equal(evaluate(program, { nr, arch }), SECCOMP_RET_KILL_PROCESS);
    }
  }
  for (const nr of [0, 59, 165, 512, 547])
    assert.equal(x86(X32_SYSCALL_BIT | nr), SECCOMP_RET_KILL_PROCESS);
});

test('S8: default deny: every number above the highest reviewed call gets ENOSYS', () => {
  for (let nr = HIGHEST_KNOWN_SYSCALL + 1; nr <= 1024; nr++)
    assert.equal(x86(nr), errno(ENOSYS), `call ${nr}`);
  for (const nr of [2047, 4096, 65535, 1 << 20, X32_SYSCALL_BIT - 1])
    assert.equal(x86(nr), errno(ENOSYS), `call ${nr}`);
  // Numbers x86_64 never used between 336 and 424.
  for (let nr = 337; nr < 424; nr++) assert.equal(x86(nr), errno(ENOSYS), `call ${nr}`);
});

test('S8: calls newer kernels added are refused, by their number as the kernel gives it', () => {
  // Numbers written out here, not taken from the table, so a table mistake cannot hide one.
  const absent: Record<number, string> = {
    444: 'landlock_create_ruleset',
    447: 'memfd_secret',
    448: 'process_mrelease',
    451: 'cachestat',
    457: 'statmount',
    458: 'listmount',
    459: 'lsm_get_self_attr',
    460: 'lsm_set_self_attr',
    461: 'lsm_list_modules',
    462: 'mseal',
    463: 'setxattrat',
    464: 'getxattrat',
    465: 'listxattrat',
    466: 'removexattrat',
    468: 'file_getattr',
    469: 'file_setattr',
    470: 'listns',
    335: 'uretprobe',
    336: 'uprobe',
  };
  for (const [nr, name] of Object.entries(absent)) {
    assert.equal(x86(Number(nr)), errno(ENOSYS), name);
  }
  const open_tree_attr = 467;
  const mount_setattr = 442;
  for (const nr of [open_tree_attr, mount_setattr, 428, 429, 430, 431, 432, 433])
    assert.equal(x86(nr), errno(EPERM), `mount API call ${nr}`);
});

test('S8: every reviewed dangerous call gets EPERM, so a probing program carries on', () => {
  const required = [
    ...['mount', 'umount2', 'pivot_root', 'chroot', 'ptrace', 'process_vm_readv'],
    ...['process_vm_writev', 'kexec_load', 'kexec_file_load', 'bpf', 'perf_event_open'],
    ...['userfaultfd', 'keyctl', 'add_key', 'request_key', 'init_module', 'finit_module'],
    ...['delete_module', 'open_by_handle_at', 'name_to_handle_at', 'setns', 'unshare'],
    ...['fsopen', 'fsmount', 'fsconfig', 'fspick', 'move_mount', 'open_tree'],
    ...['open_tree_attr', 'io_uring_setup', 'io_uring_enter', 'io_uring_register'],
    ...['quotactl', 'swapon', 'swapoff', 'reboot', 'acct', 'settimeofday'],
    ...['clock_settime', 'adjtimex', 'iopl', 'ioperm', 'pidfd_getfd', 'kcmp', 'syslog'],
  ];
  for (const name of required) assert.equal(verdictOf(name), 'refuse', name);
  for (const name of REFUSED) assert.equal(call(name), errno(EPERM), name);
});

test('S8: what the policy allows is allowed, what it calls absent gets ENOSYS', () => {
  for (const name of ALLOWED) assert.equal(call(name), SECCOMP_RET_ALLOW, name);
  for (const name of ABSENT) assert.equal(call(name), errno(ENOSYS), name);
  // The calls every build makes, named here so that none leaves the allowlist unnoticed.
  const builds = [
    ...['read', 'write', 'openat', 'close', 'newfstatat', 'statx', 'mmap', 'mprotect'],
    ...['brk', 'execve', 'fork', 'vfork', 'wait4', 'exit_group', 'pipe2', 'dup2'],
    ...['rt_sigaction', 'futex', 'rseq', 'set_robust_list', 'getrandom', 'prlimit64'],
    ...['close_range', 'getdents64', 'rename', 'unlink', 'utimensat', 'fchmodat'],
    ...['connect', 'sendto', 'recvfrom', 'epoll_wait', 'ppoll', 'arch_prctl', 'prctl'],
  ];
  for (const name of builds) assert.equal(call(name), SECCOMP_RET_ALLOW, name);
});

test('S8: sockets other than AF_UNIX, AF_INET and AF_INET6 are refused, AF_VSOCK first of all', () => {
  for (const family of Object.values(ALLOWED_SOCKET_FAMILIES)) {
    assert.equal(call('socket', family, 1), SECCOMP_RET_ALLOW);
    assert.equal(call('socketpair', family, 1), SECCOMP_RET_ALLOW);
  }
  const AF_VSOCK = 40;
  for (const family of [AF_VSOCK, 16 /* netlink */, 17 /* packet */, 3, 38, 44, 255]) {
    assert.equal(call('socket', family, 1), errno(EAFNOSUPPORT), `family ${family}`);
    assert.equal(call('socketpair', family, 1), errno(EAFNOSUPPORT), `family ${family}`);
  }
  // Only the low 32 bits of an int argument count, as the kernel truncates it too.
  assert.equal(call('socket', 2 ** 32 + AF_VSOCK, 1), errno(EAFNOSUPPORT));
});

test('S8: clone with any namespace flag is refused, plain clone (fork, threads) allowed; clone3 falls back', () => {
  const SIGCHLD = 17;
  const THREAD = 0x3d0f00;
  assert.equal(call('clone', SIGCHLD), SECCOMP_RET_ALLOW);
  assert.equal(call('clone', THREAD), SECCOMP_RET_ALLOW);
  for (let bit = 0; bit < 32; bit++) {
    const flag = 2 ** bit;
    if ((CLONE_NAMESPACE_FLAGS & flag) === 0) continue;
    assert.equal(call('clone', SIGCHLD | flag), errno(EPERM), `flag 0x${flag.toString(16)}`);
  }
  assert.equal(call('clone3'), errno(ENOSYS));
});

test('S8: terminal injection is refused; ordinary ioctls are allowed', () => {
  assert.equal(call('ioctl', 0, TIOCSTI), errno(EPERM));
  assert.equal(call('ioctl', 0, TIOCLINUX), errno(EPERM));
  for (const request of [0x5401 /* TCGETS */, 0x5413 /* TIOCGWINSZ */, 0x541b /* FIONREAD */])
    assert.equal(call('ioctl', 0, request), SECCOMP_RET_ALLOW);
});

test('S8: personality only with the values programs use', () => {
  for (const value of ALLOWED_PERSONALITIES)
    assert.equal(call('personality', value), SECCOMP_RET_ALLOW, `0x${value.toString(16)}`);
  const READ_IMPLIES_EXEC = 0x0400000;
  const ADDR_NO_RANDOMIZE = 0x0040000;
  for (const value of [READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, 0x1, 0x0400008])
    assert.equal(call('personality', value), errno(EPERM), `0x${value.toString(16)}`);
});

test("S19: no btrfs ioctl reaches the kernel: no subvolume, snapshot or read-only flag of the task's own", () => {
  const BTRFS_IOC_SNAP_CREATE = 0x50009401;
  const BTRFS_IOC_SUBVOL_CREATE = 0x5000940e;
  const BTRFS_IOC_SNAP_CREATE_V2 = 0x50009417;
  const BTRFS_IOC_SUBVOL_CREATE_V2 = 0x50009418;
  const BTRFS_IOC_SUBVOL_SETFLAGS = 0x4008941a;
  const FICLONE = 0x40049409;
  for (const cmd of [
    BTRFS_IOC_SNAP_CREATE,
    BTRFS_IOC_SUBVOL_CREATE,
    BTRFS_IOC_SNAP_CREATE_V2,
    BTRFS_IOC_SUBVOL_CREATE_V2,
    BTRFS_IOC_SUBVOL_SETFLAGS,
    FICLONE,
  ]) {
    assert.equal((cmd >> 8) & 0xff, BTRFS_IOCTL_TYPE);
    assert.equal(call('ioctl', 3, cmd), errno(EPERM), `ioctl 0x${cmd.toString(16)}`);
  }
  // Neighbouring types and the terminal's own calls are untouched.
  const FS_IOC_GETFLAGS = 0x80086601;
  for (const cmd of [FS_IOC_GETFLAGS, 0x5401 /* TCGETS */, 0x9301, 0x9501])
    assert.equal(call('ioctl', 3, cmd), SECCOMP_RET_ALLOW, `ioctl 0x${cmd.toString(16)}`);
  assert.equal(call('ioctl', 0, TIOCSTI), errno(EPERM));
});
