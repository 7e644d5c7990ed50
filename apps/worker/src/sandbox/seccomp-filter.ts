import { validateProgram } from './bpf-interpreter.js';
import {
  BPF_ALU_AND_K,
  BPF_JEQ_K,
  BPF_JGE_K,
  BPF_JSET_K,
  BPF_LD_W_ABS,
  BPF_RET_K,
  jump,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  stmt,
  type Instruction,
} from './bpf.js';

/**
 * The sandbox's seccomp filter, generated here as a classic-BPF program (an array of
 * `struct sock_filter`) that bubblewrap installs with `--seccomp FD`. No native code:
 * the program is small, and every instruction is visible in this file.
 *
 * Policy (S8): kill anything that is not x86_64 (or is an x32 call); refuse socket
 * families other than AF_UNIX, AF_INET and AF_INET6 (a network namespace does not
 * isolate AF_VSOCK, which reaches the hypervisor host on this kind of machine); refuse
 * new namespaces, mounts, tracing, kernel keyrings, BPF, io_uring, module loading and
 * the other calls a build never needs, with EPERM so that probing programs carry on.
 */

// struct seccomp_data offsets: nr, arch, then 64-bit args from offset 16 (low word first).
export const OFFSET_NR = 0;
export const OFFSET_ARCH = 4;
export const argLow = (index: number): number => 16 + index * 8;

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const X32_SYSCALL_BIT = 0x40000000;

export const EPERM = 1;
export const ENOSYS = 38;
export const EAFNOSUPPORT = 97;

/** x86_64 system call numbers (from the kernel's syscall_64.tbl). */
export const SYSCALLS = {
  ioctl: 16,
  socket: 41,
  socketpair: 53,
  clone: 56,
  ptrace: 101,
  chroot: 161,
  syslog: 103,
  uselib: 134,
  personality: 135,
  vhangup: 153,
  pivot_root: 155,
  acct: 163,
  mount: 165,
  umount2: 166,
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  iopl: 172,
  ioperm: 173,
  init_module: 175,
  delete_module: 176,
  quotactl: 179,
  lookup_dcookie: 212,
  kexec_load: 246,
  add_key: 248,
  request_key: 249,
  keyctl: 250,
  unshare: 272,
  perf_event_open: 298,
  fanotify_init: 300,
  name_to_handle_at: 303,
  open_by_handle_at: 304,
  setns: 308,
  process_vm_readv: 310,
  process_vm_writev: 311,
  kcmp: 312,
  finit_module: 313,
  kexec_file_load: 320,
  bpf: 321,
  userfaultfd: 323,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  clone3: 435,
  pidfd_getfd: 438,
  process_madvise: 440,
  mount_setattr: 442,
  quotactl_fd: 443,
} as const;

/** Refused outright with EPERM. */
export const DENIED_SYSCALLS: readonly (keyof typeof SYSCALLS)[] = [
  'mount',
  'umount2',
  'pivot_root',
  'chroot',
  'mount_setattr',
  'open_tree',
  'move_mount',
  'fsopen',
  'fsconfig',
  'fsmount',
  'fspick',
  'swapon',
  'swapoff',
  'reboot',
  'kexec_load',
  'kexec_file_load',
  'init_module',
  'finit_module',
  'delete_module',
  'bpf',
  'perf_event_open',
  'userfaultfd',
  'keyctl',
  'add_key',
  'request_key',
  'setns',
  'unshare',
  'open_by_handle_at',
  'name_to_handle_at',
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  'acct',
  'quotactl',
  'quotactl_fd',
  'fanotify_init',
  'syslog',
  'uselib',
  'lookup_dcookie',
  'vhangup',
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'pidfd_getfd',
  'process_madvise',
  'kcmp',
  'iopl',
  'ioperm',
];

/** Socket families a build uses; everything else (AF_VSOCK, AF_PACKET, AF_NETLINK...) is refused. */
export const ALLOWED_SOCKET_FAMILIES = { AF_UNIX: 1, AF_INET: 2, AF_INET6: 10 } as const;

/** Every CLONE_NEW* flag: a task may not make namespaces of its own. */
export const CLONE_NAMESPACE_FLAGS =
  0x00020000 /* NEWNS */ |
  0x02000000 /* NEWCGROUP */ |
  0x04000000 /* NEWUTS */ |
  0x08000000 /* NEWIPC */ |
  0x10000000 /* NEWUSER */ |
  0x20000000 /* NEWPID */ |
  0x40000000 /* NEWNET */ |
  0x00000080; /* NEWTIME */
/** Terminal ioctls that inject input or reach the console: never needed, classic escapes. */
export const TIOCSTI = 0x5412;
export const TIOCLINUX = 0x541c;
/**
 * The ioctl "type" byte of btrfs (and of the FICLONE/FIDEDUPERANGE calls it shares).
 * Task directories are btrfs subvolumes under a quota (S19): a task that could make a
 * subvolume or a snapshot of its own would have one outside its quota, and one that
 * could mark its directory read-only would make its cleanup fail. So none of them.
 */
export const BTRFS_IOCTL_TYPE = 0x94;
const IOCTL_TYPE_MASK = 0xff00;

const errno = (value: number): Instruction => stmt(BPF_RET_K, SECCOMP_RET_ERRNO | value);

/** The program as instructions, for inspection and tests. */
export function seccompProgram(): Instruction[] {
  const program: Instruction[] = [
    stmt(BPF_LD_W_ABS, OFFSET_ARCH),
    jump(BPF_JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
    stmt(BPF_RET_K, SECCOMP_RET_KILL_PROCESS),
    stmt(BPF_LD_W_ABS, OFFSET_NR),
    jump(BPF_JGE_K, X32_SYSCALL_BIT, 0, 1),
    stmt(BPF_RET_K, SECCOMP_RET_KILL_PROCESS),
  ];
  // Each deny rule: if nr == N return EPERM (the accumulator still holds nr).
  for (const name of DENIED_SYSCALLS) {
    program.push(jump(BPF_JEQ_K, SYSCALLS[name], 0, 1), errno(EPERM));
  }
  // clone3 passes its flags in memory BPF cannot read: ENOSYS makes libc fall back to clone.
  program.push(jump(BPF_JEQ_K, SYSCALLS.clone3, 0, 1), errno(ENOSYS));
  program.push(
    ...argumentRule(SYSCALLS.clone, 0, [
      jump(BPF_JSET_K, CLONE_NAMESPACE_FLAGS, 0, 1),
      errno(EPERM),
    ]),
  );
  for (const call of [SYSCALLS.socket, SYSCALLS.socketpair]) {
    const families = Object.values(ALLOWED_SOCKET_FAMILIES);
    program.push(
      ...argumentRule(call, 0, [
        ...families.map((family, i) => jump(BPF_JEQ_K, family, families.length - i, 0)),
        errno(EAFNOSUPPORT),
      ]),
    );
  }
  program.push(
    ...argumentRule(SYSCALLS.ioctl, 1, [
      jump(BPF_JEQ_K, TIOCSTI, 3, 0),
      jump(BPF_JEQ_K, TIOCLINUX, 2, 0),
      stmt(BPF_ALU_AND_K, IOCTL_TYPE_MASK),
      jump(BPF_JEQ_K, BTRFS_IOCTL_TYPE << 8, 0, 1),
      errno(EPERM),
    ]),
  );
  program.push(stmt(BPF_RET_K, SECCOMP_RET_ALLOW));
  return program;
}

/**
 * `if (nr == call) { load arg's low 32 bits; body }`, where the body ends by falling
 * through to its last instruction + 1 on "allowed". Afterwards the accumulator is
 * reloaded with nr for the rules that follow. (`int` arguments live in the low word.)
 */
function argumentRule(call: number, arg: number, body: Instruction[]): Instruction[] {
  const inner = [stmt(BPF_LD_W_ABS, argLow(arg)), ...body, stmt(BPF_LD_W_ABS, OFFSET_NR)];
  return [jump(BPF_JEQ_K, call, 0, inner.length), ...inner];
}

/** The program as bubblewrap reads it from `--seccomp FD`: 8 bytes per instruction. */
export function seccompFilterBytes(): Buffer {
  const program = seccompProgram();
  // A malformed program would be refused by bubblewrap at every start; refuse it here.
  validateProgram(program);
  const buffer = Buffer.alloc(program.length * 8);
  program.forEach((instruction, i) => {
    buffer.writeUInt16LE(instruction.code, i * 8);
    buffer.writeUInt8(instruction.jt, i * 8 + 2);
    buffer.writeUInt8(instruction.jf, i * 8 + 3);
    buffer.writeUInt32LE(instruction.k >>> 0, i * 8 + 4);
  });
  return buffer;
}
