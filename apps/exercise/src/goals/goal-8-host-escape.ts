import { markedLines, runRedTeamTask } from '../red-team-tasks.js';
import { inconclusive, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, ExerciseContext, Goal } from '../types.js';
import { deviceAndSyscallAttacks } from './goal-8-devices-syscalls.js';
import { shellServerAttack } from './goal-8-shell-server.js';

const attack = (id: string, title: string): AttackInfo => ({
  goal: 8,
  id: `8.${id}`,
  title,
  invariants: ['S8'],
});

const MARK = 'EXERCISE-8';

/**
 * Each probe prints `EXERCISE-8 <method> OPEN|SHUT <what it saw>`. Safe even without a
 * sandbox: the mount is a tmpfs on a directory of the task's own, undone at once; the
 * files written outside are empty, named for the task, and removed at once; ptrace uses
 * PTRACE_SEIZE, which never stops the process it attaches to, and the tracer exits at once.
 */
const PROBES = String.raw`
report() { echo "EXERCISE-8 $1 $2 $(printf %s "$3" | tr '\n' ' ' | head -c 300)"; }
d=$(mktemp -d "$PWD/mnt.XXXXXX")
if out=$(mount -t tmpfs exercise "$d" 2>&1); then report mount OPEN "mounted a tmpfs"; umount "$d"; else report mount SHUT "$out"; fi
opened=""; seen=""
for flags in -U -m -n -p; do
  if out=$(unshare $flags true 2>&1); then opened="$opened unshare$flags"; else seen="$seen unshare$flags: $out;"; fi
done
[ -n "$opened" ] && report unshare OPEN "$opened" || report unshare SHUT "$seen"
caps=$(grep -E '^(CapEff|NoNewPrivs|Uid)' /proc/self/status | tr '\t' ' ' | tr '\n' ' ')
eff=$(awk '/^CapEff/ {print $2}' /proc/self/status); nnp=$(awk '/^NoNewPrivs/ {print $2}' /proc/self/status)
suid=$(find /usr/bin /usr/sbin /bin /sbin -maxdepth 1 -perm -4000 -type f 2>/dev/null | head -n 5 | tr '\n' ' ')
if [ "$eff" != "0000000000000000" ] || [ "$nnp" != "1" ]; then report setuid OPEN "$caps setuid binaries: $suid"; else report setuid SHUT "$caps setuid binaries: $suid"; fi
# Only the processes that run this task (its ancestors: the worker, when there is no sandbox).
targets=""; pid=$$
for i in 1 2 3; do
  pid=$(awk '/^PPid/ {print $2}' "/proc/$pid/status" 2>/dev/null)
  { [ -z "$pid" ] || [ "$pid" = 0 ]; } && break
  targets="$targets $pid"
done
traced=""
for pid in $targets; do
  if perl -e 'exit(syscall(101, 0x4206, 0 + $ARGV[0], 0, 0) == 0 ? 0 : 1)' "$pid" 2>/dev/null; then traced="$traced $pid"; fi
done
if [ -n "$traced" ]; then report ptrace OPEN "seized the processes that run the task:$traced";
elif [ -n "$targets" ]; then report ptrace SHUT "its ancestors are not traceable:$targets";
else report ptrace SHUT "no ancestor visible"; fi
# The sandbox's own / and /etc are private tmpfs mounts that vanish with it: a write there
# reaches nothing. The host's are not tmpfs; its system directories are never writable.
wrote=""; refused=""
for dir in / /etc /usr /usr/local /usr/lib /var /root; do
  f="$dir/bulwark-exercise-$TASK_ID"
  fs=$(stat -f -c %T "$dir" 2>/dev/null)
  if ( : > "$f" ) 2>/dev/null; then
    rm -f "$f"
    if [ "$fs" = tmpfs ]; then refused="$refused $dir(private tmpfs)"; else wrote="$wrote $dir($fs)"; fi
  else refused="$refused $dir"; fi
done
[ -n "$wrote" ] && report write-outside OPEN "wrote into$wrote" || report write-outside SHUT "refused in$refused"
# A system call the seccomp filter refuses and the kernel allows any user: a personality
# that turns off the task's own address randomization.
if out=$(setarch "$(uname -m)" -R true 2>&1); then report seccomp OPEN "personality(ADDR_NO_RANDOMIZE) was allowed";
else report seccomp SHUT "$out"; fi
# In a pid namespace of its own, pid 1 is the sandbox's init (bubblewrap); otherwise the host's.
init=$(head -c 120 /proc/1/cmdline 2>/dev/null | tr '\0\n' '  ')
visible=$(ls -d /proc/[0-9]* 2>/dev/null | head -n 5000 | wc -l)
first=$(head -c 4096 /proc/1/cmdline 2>/dev/null | tr '\0' '\n' | head -n 1)
case "$first" in
  '') report pid-namespace SHUT "pid 1 is not visible ($visible processes visible)" ;;
  bwrap|*/bwrap) report pid-namespace SHUT "pid 1 is the sandbox's own init: $init ($visible processes visible)" ;;
  *) report pid-namespace OPEN "pid 1 is the host's: $init ($visible processes visible)" ;;
esac
echo "EXERCISE-8 done"
`;

const METHODS: [string, string][] = [
  ['mount', 'mount a filesystem'],
  ['unshare', 'make new namespaces (user, mount, network, pid)'],
  ['setuid', 'hold capabilities, or gain them through a setuid binary'],
  ['ptrace', 'attach with ptrace to the processes that run the task'],
  ['write-outside', 'write outside the task directory'],
  ['seccomp', 'make a system call the seccomp filter refuses (personality)'],
  ['pid-namespace', "see the host's processes (pid 1 is not the sandbox's own)"],
];

/**
 * Goal 8: from a task, get a foothold on the worker host outside the sandbox. Each probe
 * is one step such a foothold needs; every one of them must fail.
 */
export const goal8: Goal = {
  number: 8,
  title: 'From a task, start a shell server on the worker host outside the sandbox',
  implemented: true,
  async run(context) {
    // Three tasks side by side: the walls, devices and system calls, a listener.
    const [walls, devices, shell] = await Promise.all([
      wallAttacks(context),
      deviceAndSyscallAttacks(context),
      shellServerAttack(context),
    ]);
    return [...walls, ...devices, shell];
  },
};

async function wallAttacks(context: ExerciseContext): Promise<AttackResult[]> {
  const infos = METHODS.map(([id, title]) => attack(id, title));
  let task;
  try {
    task = await runRedTeamTask(context, { name: 'probe the sandbox walls', script: PROBES });
  } catch (err) {
    const why = `the task could not be created: ${(err as Error).message.split('\n')[0] ?? ''}`;
    return infos.map((info) => inconclusive(info, why));
  }
  const lines = markedLines(task.log ?? '', MARK);
  return infos.map((info): AttackResult => {
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
