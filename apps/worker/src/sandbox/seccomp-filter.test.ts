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
  ALLOWED_SOCKET_FAMILIES,
  AUDIT_ARCH_X86_64,
  BTRFS_IOCTL_TYPE,
  CLONE_NAMESPACE_FLAGS,
  DENIED_SYSCALLS,
  EAFNOSUPPORT,
  ENOSYS,
  EPERM,
  OFFSET_ARCH,
  seccompFilterBytes,
  seccompProgram,
  SYSCALLS,
  TIOCSTI,
  X32_SYSCALL_BIT,
} from './seccomp-filter.js';

const program = seccompProgram();
const x86 = (nr: number, ...args: number[]) =>
  evaluate(program, { nr, arch: AUDIT_ARCH_X86_64, args });
const errno = (value: number): number => (SECCOMP_RET_ERRNO | value) >>> 0;

test('the program is well formed: known opcodes, loads in bounds, jumps land inside, ends returning', () => {
  validateProgram(program);
  assert.equal(seccompFilterBytes().length, program.length * 8);
  // The verifier catches what a wrong generator would produce.
  assert.throws(() => validateProgram([{ code: BPF_JEQ_K, jt: 5, jf: 0, k: 1 }]), /past the end/);
  assert.throws(() => validateProgram([{ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: 64 }]), /outside/);
  assert.throws(() => validateProgram([{ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: 0 }]), /returning/);
});

test('the arch is checked first; a foreign arch or an x32 call kills the process', () => {
  assert.deepEqual(program[0], { code: BPF_LD_W_ABS, jt: 0, jf: 0, k: OFFSET_ARCH });
  assert.deepEqual(program[2], { code: BPF_RET_K, jt: 0, jf: 0, k: SECCOMP_RET_KILL_PROCESS });
  const i386 = 0x40000003;
  const aarch64 = 0xc00000b7;
  for (const arch of [i386, aarch64])
    assert.equal(evaluate(program, { nr: SYSCALLS.socket, arch }), SECCOMP_RET_KILL_PROCESS);
  assert.equal(x86(X32_SYSCALL_BIT | SYSCALLS.mount), SECCOMP_RET_KILL_PROCESS);
});

test('S8: every denied call gets EPERM, so a probing program carries on', () => {
  assert.ok(DENIED_SYSCALLS.length >= 40);
  for (const name of DENIED_SYSCALLS) assert.equal(x86(SYSCALLS[name]), errno(EPERM), name);
  for (const name of [
    'mount',
    'ptrace',
    'bpf',
    'keyctl',
    'unshare',
    'setns',
    'io_uring_setup',
  ] as const)
    assert.ok(DENIED_SYSCALLS.includes(name), name);
});

test('S8: sockets other than AF_UNIX, AF_INET and AF_INET6 are refused, AF_VSOCK first of all', () => {
  for (const family of Object.values(ALLOWED_SOCKET_FAMILIES)) {
    assert.equal(x86(SYSCALLS.socket, family, 1), SECCOMP_RET_ALLOW);
    assert.equal(x86(SYSCALLS.socketpair, family, 1), SECCOMP_RET_ALLOW);
  }
  const AF_VSOCK = 40;
  for (const family of [AF_VSOCK, 16 /* netlink */, 17 /* packet */, 3, 38, 44, 255]) {
    assert.equal(x86(SYSCALLS.socket, family, 1), errno(EAFNOSUPPORT), `family ${family}`);
    assert.equal(x86(SYSCALLS.socketpair, family, 1), errno(EAFNOSUPPORT), `family ${family}`);
  }
  // Only the low 32 bits of an int argument count, as the kernel truncates it too.
  assert.equal(x86(SYSCALLS.socket, 2 ** 32 + AF_VSOCK, 1), errno(EAFNOSUPPORT));
});

test('S8: clone with any namespace flag is refused, plain clone (fork, threads) allowed; clone3 falls back', () => {
  const SIGCHLD = 17;
  const THREAD = 0x3d0f00;
  assert.equal(x86(SYSCALLS.clone, SIGCHLD), SECCOMP_RET_ALLOW);
  assert.equal(x86(SYSCALLS.clone, THREAD), SECCOMP_RET_ALLOW);
  for (let bit = 0; bit < 32; bit++) {
    const flag = 2 ** bit;
    if ((CLONE_NAMESPACE_FLAGS & flag) === 0) continue;
    assert.equal(x86(SYSCALLS.clone, SIGCHLD | flag), errno(EPERM), `flag 0x${flag.toString(16)}`);
  }
  assert.equal(x86(SYSCALLS.clone3), errno(ENOSYS));
});

test('S8: terminal injection is refused; ordinary calls and ioctls are allowed', () => {
  assert.equal(x86(SYSCALLS.ioctl, 0, TIOCSTI), errno(EPERM));
  assert.equal(x86(SYSCALLS.ioctl, 0, 0x5401 /* TCGETS */), SECCOMP_RET_ALLOW);
  const read = 0;
  const write = 1;
  const execve = 59;
  const openat = 257;
  for (const nr of [read, write, execve, openat]) assert.equal(x86(nr), SECCOMP_RET_ALLOW);
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
    assert.equal(x86(SYSCALLS.ioctl, 3, cmd), errno(EPERM), `ioctl 0x${cmd.toString(16)}`);
  }
  // Neighbouring types and the terminal's own calls are untouched.
  const FS_IOC_GETFLAGS = 0x80086601;
  for (const cmd of [FS_IOC_GETFLAGS, 0x5401 /* TCGETS */, 0x9301, 0x9501])
    assert.equal(x86(SYSCALLS.ioctl, 3, cmd), SECCOMP_RET_ALLOW, `ioctl 0x${cmd.toString(16)}`);
  assert.equal(x86(SYSCALLS.ioctl, 0, TIOCSTI), errno(EPERM));
});
