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
import { verdictOf, type Verdict } from './seccomp-policy.js';
import { HIGHEST_KNOWN_SYSCALL, SYSCALL_NUMBERS } from './syscalls-x86-64.js';

/**
 * The sandbox's seccomp filter, generated here as a classic-BPF program (an array of
 * `struct sock_filter`) that bubblewrap installs with `--seccomp FD`. No native code:
 * every instruction comes from this file and the policy in seccomp-policy.ts.
 *
 * Default deny (S8): kill anything that is not x86_64 (or is an x32 call); allow only
 * the calls the policy allows, some after checking their arguments; EPERM for the
 * reviewed dangerous ones; ENOSYS for everything else, above all for any number newer
 * than the highest reviewed, so that a kernel upgrade never widens what a task may do
 * and libc falls back as on an older kernel.
 *
 * The calls are found by a binary search over ranges of numbers with one verdict
 * (about ten comparisons instead of one per rule). The kernel also notices that the
 * verdict for most allowed calls does not depend on their arguments and skips the
 * filter for them altogether.
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

/**
 * Socket families a build uses. Everything else is refused: AF_VSOCK first (a network
 * namespace does not isolate it, and it reaches the hypervisor host on Firecracker
 * workers), AF_PACKET, and AF_NETLINK too: the task cannot change its network anyway,
 * and glibc's getaddrinfo carries on without it (it then assumes IPv4 and IPv6).
 */
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
 * personality() values programs set or query: PER_LINUX, PER_LINUX32, UNAME26 with
 * each, and 0xffffffff (query). Others (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE...)
 * weaken the task's own memory protections and are refused.
 */
export const ALLOWED_PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff] as const;
/**
 * The ioctl "type" byte of btrfs (and of the FICLONE/FIDEDUPERANGE calls it shares).
 * Task directories are btrfs subvolumes under a quota (S19): a task that could make a
 * subvolume or a snapshot of its own would have one outside its quota, and one that
 * could mark its directory read-only would make its cleanup fail. So none of them.
 */
export const BTRFS_IOCTL_TYPE = 0x94;
const IOCTL_TYPE_MASK = 0xff00;

const allow = (): Instruction => stmt(BPF_RET_K, SECCOMP_RET_ALLOW);
const errno = (value: number): Instruction => stmt(BPF_RET_K, SECCOMP_RET_ERRNO | value);

/** What the filter answers for one call, before any argument is looked at. */
type Action = { kind: 'return'; value: number } | { kind: 'check'; block: Instruction[] };

/** Numbers from `first` up to the next range's first share one action. */
interface Range {
  first: number;
  action: Action;
}

/** The program as instructions, for inspection and tests. */
export function seccompProgram(): Instruction[] {
  const ranges = syscallRanges();
  return [
    stmt(BPF_LD_W_ABS, OFFSET_ARCH),
    jump(BPF_JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
    stmt(BPF_RET_K, SECCOMP_RET_KILL_PROCESS),
    stmt(BPF_LD_W_ABS, OFFSET_NR),
    jump(BPF_JGE_K, X32_SYSCALL_BIT, 0, 1),
    stmt(BPF_RET_K, SECCOMP_RET_KILL_PROCESS),
    ...search(ranges, 0, ranges.length - 1),
  ];
}

/** The action for each number from 0 up, merged into ranges; the last one runs to the x32 bit. */
function syscallRanges(): Range[] {
  const names = new Map([...SYSCALL_NUMBERS].map(([name, nr]) => [nr, name]));
  const ranges: Range[] = [];
  for (let nr = 0; nr <= HIGHEST_KNOWN_SYSCALL + 1; nr++) {
    const name = names.get(nr);
    const action = name === undefined ? absent() : actionFor(name, verdictOf(name));
    const last = ranges.at(-1);
    if (
      last !== undefined &&
      last.action.kind === 'return' &&
      action.kind === 'return' &&
      last.action.value === action.value
    ) {
      continue;
    }
    ranges.push({ first: nr, action });
  }
  return ranges;
}

const absent = (): Action => ({ kind: 'return', value: (SECCOMP_RET_ERRNO | ENOSYS) >>> 0 });

function actionFor(name: string, verdict: Verdict): Action {
  switch (verdict) {
    case 'allow':
      return { kind: 'return', value: SECCOMP_RET_ALLOW };
    case 'refuse':
      return { kind: 'return', value: (SECCOMP_RET_ERRNO | EPERM) >>> 0 };
    case 'absent':
      return absent();
    case 'check-arguments':
      return { kind: 'check', block: argumentCheck(name) };
  }
}

/**
 * The checks of one call's arguments; each block ends by returning. Only the low 32
 * bits of an argument are read: these are all `int` or flags below bit 32, which the
 * kernel truncates the same way.
 */
function argumentCheck(name: string): Instruction[] {
  switch (name) {
    case 'socket':
    case 'socketpair':
      return [
        stmt(BPF_LD_W_ABS, argLow(0)),
        ...oneOf(Object.values(ALLOWED_SOCKET_FAMILIES), allow(), errno(EAFNOSUPPORT)),
      ];
    case 'clone':
      return [
        stmt(BPF_LD_W_ABS, argLow(0)),
        jump(BPF_JSET_K, CLONE_NAMESPACE_FLAGS, 1, 0),
        allow(),
        errno(EPERM),
      ];
    case 'ioctl':
      // The terminal escapes, and every btrfs ioctl (by its type byte): refused.
      return [
        stmt(BPF_LD_W_ABS, argLow(1)),
        jump(BPF_JEQ_K, TIOCSTI, 3, 0),
        jump(BPF_JEQ_K, TIOCLINUX, 2, 0),
        stmt(BPF_ALU_AND_K, IOCTL_TYPE_MASK),
        jump(BPF_JEQ_K, BTRFS_IOCTL_TYPE << 8, 0, 1),
        errno(EPERM),
        allow(),
      ];
    case 'personality':
      return [
        stmt(BPF_LD_W_ABS, argLow(0)),
        ...oneOf(ALLOWED_PERSONALITIES, allow(), errno(EPERM)),
      ];
    default:
      throw new Error(`the seccomp filter has no argument check for ${name}`);
  }
}

/** `return accumulator in values ? matched : otherwise`. */
function oneOf(
  values: readonly number[],
  matched: Instruction,
  otherwise: Instruction,
): Instruction[] {
  return [
    ...values.map((value, i) => jump(BPF_JEQ_K, value, values.length - i, 0)),
    otherwise,
    matched,
  ];
}

/**
 * A binary search over ranges[low..high] on the call number in the accumulator: at
 * each step, numbers at or above the middle range's first jump over the lower half.
 * (The whole program is about 200 instructions, so every such jump fits the 8-bit
 * offset; validateProgram refuses one that would not.)
 */
function search(ranges: readonly Range[], low: number, high: number): Instruction[] {
  if (low === high) {
    const { action } = ranges[low] as Range;
    return action.kind === 'return' ? [stmt(BPF_RET_K, action.value)] : action.block;
  }
  const middle = (low + high + 1) >> 1;
  const lower = search(ranges, low, middle - 1);
  const upper = search(ranges, middle, high);
  const first = (ranges[middle] as Range).first;
  return [jump(BPF_JGE_K, first, lower.length, 0), ...lower, ...upper];
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
