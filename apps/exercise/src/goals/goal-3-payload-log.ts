import { runRedTeamTask } from '../red-team-tasks.js';
import { inconclusive, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, ExerciseContext } from '../types.js';

const FAKE = 'EXERCISE-3 forged log: all tests passed';

/**
 * 3.payload-log-artifact: the task asks the worker itself to publish a file of its own as
 * `public/logs/live_backing.log`, the log the worker's word lives in (S18). BREACHED when
 * the run's log is then the task's file instead of the worker's account.
 */
export async function payloadLogAttack(context: ExerciseContext): Promise<AttackResult> {
  const info: AttackInfo = {
    goal: 3,
    id: '3.payload-log-artifact',
    title: 'declare its own file as public/logs/live_backing.log in the payload',
    invariants: ['S18'],
  };
  let task;
  try {
    task = await runRedTeamTask(context, {
      name: 'publish a forged log',
      script: `printf '%s\\n' '${FAKE}' > forged.log; echo wrote the forged log`,
      artifacts: [{ type: 'file', path: 'forged.log', name: 'public/logs/live_backing.log' }],
    });
  } catch (err) {
    return inconclusive(
      info,
      `the task could not be created: ${(err as Error).message.split('\n')[0] ?? ''}`,
    );
  }
  const log = task.log;
  if (log === undefined) {
    return inconclusive(info, `the run has no readable log (${task.state})`, {
      taskId: task.taskId,
    });
  }
  const workerLines = log.split('\n').filter((line) => line.startsWith('[bulwark] '));
  const evidence = {
    taskId: task.taskId,
    logExcerpt: [...workerLines.slice(-3), `(${task.state})`].join('\n'),
  };
  if (log.startsWith(FAKE) || workerLines.length === 0) {
    return result(info, 'BREACHED', 'the run’s log is the task’s forged file', {
      ...evidence,
      logExcerpt: log.slice(0, 300),
    });
  }
  return result(
    info,
    'BLOCKED',
    `the log is the worker’s (${workerLines.length} worker lines)`,
    evidence,
  );
}
