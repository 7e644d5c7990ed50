import { markedLines, python, runRedTeamTask, type FinishedTask } from '../red-team-tasks.js';
import { inconclusive, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, ExerciseContext, Goal } from '../types.js';

const MARK = 'EXERCISE-11';

/**
 * What each flood asks for (the payload's own, small limits) and how far past them it
 * tries, always capped: it never holds more than 4 times its limit, never runs longer
 * than its maxRunTime, and writes at most 300 MiB of log.
 */
const RESOURCES = { memoryMB: 64, pids: 32, cpus: 1, diskMB: 32 };

const FLOODS: Record<string, string> = {
  cpu: String.raw`
import os, time
t0 = time.time(); kids = []
for i in range(4):
    pid = os.fork()
    if pid == 0:
        end = time.time() + 6
        while time.time() < end: pass
        os._exit(0)
    kids.append(pid)
for pid in kids: os.waitpid(pid, 0)
wall = time.time() - t0; used = os.times().children_user + os.times().children_system
print('EXERCISE-11 cpu %s %.1f cpu-seconds in %.1f s (limit 1 cpu)' % ('OPEN' if used > wall * 1.5 else 'SHUT', used, wall), flush=True)`,
  memory: String.raw`
held = []
try:
    for i in range(16):
        held.append(b'\x01' * (16 * 1024 * 1024))
        print('EXERCISE-11 memory-held %d MiB' % (16 * len(held)), flush=True)
    print('EXERCISE-11 memory OPEN held 256 MiB past a 64 MB limit', flush=True)
except MemoryError:
    print('EXERCISE-11 memory SHUT MemoryError at %d MiB' % (16 * len(held)), flush=True)`,
  pids: String.raw`
import os, time, errno
kids = []
try:
    for i in range(128):
        pid = os.fork()
        if pid == 0:
            time.sleep(3); os._exit(0)
        kids.append(pid)
    print('EXERCISE-11 pids OPEN 128 processes past a limit of 32', flush=True)
except OSError as e:
    print('EXERCISE-11 pids SHUT fork failed after %d: %s' % (len(kids), errno.errorcode.get(e.errno, e)), flush=True)
for pid in kids: os.waitpid(pid, 0)`,
  disk: String.raw`
import os, errno
written = 0
try:
    with open('fill', 'wb') as f:
        block = b'x' * (1024 * 1024)
        while written < 128:
            f.write(block); f.flush(); os.fsync(f.fileno()); written += 1
    print('EXERCISE-11 disk OPEN wrote 128 MiB past a 32 MB limit', flush=True)
except OSError as e:
    print('EXERCISE-11 disk SHUT %s after %d MiB' % (errno.errorcode.get(e.errno, e), written), flush=True)
try: os.unlink('fill')
except OSError: pass`,
  inodes: String.raw`
import os, errno
os.mkdir('many'); made = 0
try:
    while made < 400000:
        open('many/%d' % made, 'w').close(); made += 1
    print('EXERCISE-11 inodes OPEN made 400000 files past a 32 MB disk', flush=True)
except OSError as e:
    print('EXERCISE-11 inodes SHUT %s after %d files' % (errno.errorcode.get(e.errno, e), made), flush=True)`,
  'log-volume': String.raw`
import sys
line = ('x' * 1023 + '\n').encode()
out = sys.stdout.buffer
try:
    for i in range(300 * 1024):
        out.write(line)
    out.flush()
except OSError:
    pass
print('EXERCISE-11 log-volume-written', flush=True)`,
};

const TITLES: Record<string, string> = {
  cpu: 'use more CPU than the task’s limit',
  memory: 'hold more memory than the task’s limit',
  pids: 'start more processes than the task’s limit',
  disk: 'write more than the task’s disk limit',
  inodes: 'make more files than the task’s disk allows',
  'log-volume': 'write more log than the worker keeps (300 MiB)',
};

/** The stored log's cap (the worker's, 256 MiB) with room for its own lines. */
const LOG_CAP_BYTES = 257 * 1024 * 1024;

/**
 * Goal 11 (the distributed-CI threats to a worker's owner): each flood is a task that
 * tries to exceed its own limits, bounded; a canary task runs beside them and must
 * complete, and a task after them must too (the worker still claims). A flood is
 * BREACHED when it got past its limit, or when the worker was hurt.
 */
export const goal11: Goal = {
  number: 11,
  title: 'From a task, take a worker’s host resources from its owner and other tasks',
  implemented: true,
  async run(context) {
    const floods = Object.entries(FLOODS).map(([id, program]) =>
      flood(context, id, program).catch((err: unknown) => err as Error),
    );
    const canary = runRedTeamTask(context, {
      name: 'a canary beside the floods',
      script: 'echo EXERCISE-11 canary-alive',
    }).catch((err: unknown) => err as Error);
    const done = await Promise.all(floods);
    const beside = await canary;
    const after = await runRedTeamTask(context, {
      name: 'a task after the floods',
      script: 'echo EXERCISE-11 after-alive',
    }).catch((err: unknown) => err as Error);
    const healthy = [beside, after].every(
      (task) => !(task instanceof Error) && task.state === 'completed',
    );
    const health = `canary ${describe(beside)}, task after the floods ${describe(after)}`;
    return Object.keys(FLOODS).map((id, index) =>
      verdict(context, id, done[index]!, healthy, health),
    );
  },
};

function describe(task: FinishedTask | Error): string {
  return task instanceof Error ? `not run (${task.message.split('\n')[0] ?? ''})` : task.state;
}

function flood(context: ExerciseContext, id: string, program: string): Promise<FinishedTask> {
  return runRedTeamTask(context, {
    name: `exceed its ${id} limit`,
    script: python(program),
    resources: RESOURCES,
    maxRunTime: 60,
    ...(id === 'log-volume' ? { countLogBytes: true } : {}),
  });
}

function verdict(
  context: ExerciseContext,
  id: string,
  task: FinishedTask | Error,
  healthy: boolean,
  health: string,
): AttackResult {
  const info: AttackInfo = { goal: 11, id: `11.${id}`, title: TITLES[id]!, invariants: ['S19'] };
  if (task instanceof Error) {
    return inconclusive(info, `the task could not be run: ${task.message.split('\n')[0] ?? ''}`);
  }
  const log = task.log ?? '';
  const line = markedLines(log, MARK).get(id);
  const workerSaid = log
    .split('\n')
    .filter((l) => l.startsWith('[bulwark] '))
    .slice(-3)
    .join('\n');
  const evidence = {
    taskId: task.taskId,
    logExcerpt: [line === undefined ? '' : `${MARK} ${id} ${line}`, workerSaid].join('\n').trim(),
    notes: [health, `task ${task.state}`],
  };
  if (!healthy) return result(info, 'BREACHED', `the worker was hurt: ${health}`, evidence);
  if (id === 'log-volume') {
    const size = task.logBytes ?? 0;
    evidence.notes.push(`stored log: ${size} bytes`);
    if (size > LOG_CAP_BYTES) return result(info, 'BREACHED', 'the worker kept it all', evidence);
    if (task.state !== 'completed' && task.state !== 'failed') {
      return inconclusive(info, `the flood did not run to its end (${task.state})`, evidence);
    }
    return result(info, 'BLOCKED', 'the log was cut at the worker’s cap', evidence);
  }
  if (line?.startsWith('OPEN')) return result(info, 'BREACHED', 'it got past its limit', evidence);
  // Killed for the limit (memory) is as good as a refusal, when the worker says so.
  if (line?.startsWith('SHUT') || (id === 'memory' && /memory/.test(workerSaid))) {
    return result(info, 'BLOCKED', 'the limit held, and the worker stayed healthy', evidence);
  }
  return inconclusive(info, `the task did not report (${task.state})`, evidence);
}
