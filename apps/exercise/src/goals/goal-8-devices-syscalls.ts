import { markedLines, python, runRedTeamTask } from '../red-team-tasks.js';
import { inconclusive, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, ExerciseContext } from '../types.js';

const MARK = 'EXERCISE-8';

/**
 * Device nodes and system calls a sandbox must not give a task. Safe even without a
 * sandbox, as root: the node made is /dev/null's, in the task's own directory, removed
 * at once; devices are opened read-only and non-blocking, and closed unread (none on the
 * list acts on an open: no watchdog, no tape); every system call gets arguments that
 * either make nothing that outlives the process (an io_uring, a userfaultfd, a perf
 * event on itself, a key in its own process keyring) or that the kernel rejects once
 * past the permission check (kexec_load with an unknown flag and architecture, bpf with
 * an unknown command): EINVAL then means the call got through.
 */
const PROBE = String.raw`
import os, stat, errno, ctypes, platform
def report(method, state, what):
    print('EXERCISE-8 %s %s %s' % (method, state, ' '.join(str(what).split())[:400]), flush=True)
node = os.path.join(os.getcwd(), 'exercise-null')
try:
    os.mknod(node, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    os.unlink(node)
    report('mknod', 'OPEN', 'made a character device node (1,3)')
except OSError as e:
    report('mknod', 'SHUT', 'mknod: %s' % errno.errorcode.get(e.errno, str(e)))
allowed = {'null', 'zero', 'full', 'random', 'urandom', 'tty', 'console', 'ptmx', 'pts', 'shm',
           'fd', 'stdin', 'stdout', 'stderr', 'core', 'mqueue'}
extra = sorted(set(os.listdir('/dev')) - allowed)
opened = []
for dev in ['/dev/mem', '/dev/kmem', '/dev/port', '/dev/kmsg', '/dev/kvm', '/dev/fuse',
            '/dev/net/tun', '/dev/vsock', '/dev/vhost-vsock', '/dev/loop-control', '/dev/sda',
            '/dev/vda', '/dev/xvda', '/dev/nvme0n1', '/dev/mapper/control', '/dev/cpu/0/msr',
            '/dev/autofs', '/dev/uinput', '/dev/btrfs-control']:
    try:
        fd = os.open(dev, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        os.close(fd)
        opened.append(dev)
    except OSError:
        pass
report('devices', 'OPEN' if opened else 'SHUT',
       'opened %s; /dev beyond the usual set: %s' % (opened or 'none', extra[:20] or 'none'))
if platform.machine() != 'x86_64':
    report('new-syscalls', 'UNKNOWN', 'the probe knows x86_64 system call numbers only')
else:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    params = ctypes.create_string_buffer(120)
    attr = ctypes.create_string_buffer(128)
    ctypes.memmove(attr, (1).to_bytes(4, 'little') + (128).to_bytes(4, 'little') + (9).to_bytes(8, 'little'), 16)
    attr[40] = b'\x61'  # disabled, exclude_kernel, exclude_hv
    L = ctypes.c_long
    calls = [
        ('io_uring_setup', 425, [L(1), params]),
        ('userfaultfd', 323, [L(0o2000000 | 0o4000 | 1)]),
        ('perf_event_open', 298, [attr, L(0), L(-1), L(-1), L(0)]),
        ('bpf', 321, [L(0x7fff), L(0), L(0)]),
        ('keyctl', 250, [L(0), L(-2), L(0)]),
        ('add_key', 248, [ctypes.c_char_p(b'user'), ctypes.c_char_p(b'bulwark-exercise'), ctypes.c_char_p(b'x'), L(1), L(-2)]),
        ('kexec_load', 246, [L(0), L(0), L(0), L(0xffff8000)]),
    ]
    through = []; refused = []
    for name, number, args in calls:
        ret = libc.syscall(L(number), *args)
        err = ctypes.get_errno()
        if ret >= 0:
            through.append('%s=ok' % name)
            if name in ('io_uring_setup', 'userfaultfd', 'perf_event_open'):
                os.close(ret)
        elif err in (errno.EPERM, errno.ENOSYS, errno.EACCES):
            refused.append('%s=%s' % (name, errno.errorcode[err]))
        else:
            through.append('%s=%s' % (name, errno.errorcode.get(err, err)))
    report('new-syscalls', 'OPEN' if through else 'SHUT',
           'reached the kernel: %s; refused: %s' % (through or 'none', refused or 'none'))
print('EXERCISE-8 devices-done', flush=True)
`;

export const DEVICE_METHODS: [string, string][] = [
  ['mknod', 'make a device node'],
  ['devices', 'open devices beyond the sandbox’s own /dev'],
  [
    'new-syscalls',
    'make rarely needed system calls (io_uring, userfaultfd, perf, bpf, keys, kexec)',
  ],
];

/** 8.mknod, 8.devices, 8.new-syscalls: one task, one probe each. */
export async function deviceAndSyscallAttacks(context: ExerciseContext): Promise<AttackResult[]> {
  const infos = DEVICE_METHODS.map(([id, title]): AttackInfo => ({
    goal: 8,
    id: `8.${id}`,
    title,
    invariants: ['S8'],
  }));
  let task;
  try {
    task = await runRedTeamTask(context, {
      name: 'probe devices and system calls',
      script: python(PROBE),
    });
  } catch (err) {
    const why = `the task could not be created: ${(err as Error).message.split('\n')[0] ?? ''}`;
    return infos.map((info) => inconclusive(info, why));
  }
  const lines = markedLines(task.log ?? '', MARK);
  return infos.map((info) => {
    const method = info.id.slice(2);
    const line = lines.get(method);
    const evidence = {
      taskId: task.taskId,
      logExcerpt: line === undefined ? (task.log ?? '').slice(-600) : `${MARK} ${method} ${line}`,
    };
    if (line?.startsWith('OPEN')) return result(info, 'BREACHED', 'the probe succeeded', evidence);
    if (line?.startsWith('SHUT')) return result(info, 'BLOCKED', 'the probe was refused', evidence);
    return inconclusive(info, `the task did not report this probe (${task.state})`, evidence);
  });
}
