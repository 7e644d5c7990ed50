import { setTimeout as sleep } from 'node:timers/promises';
import { Beacon } from '../beacon.js';
import { runRedTeamTask } from '../red-team-tasks.js';
import { inconclusive, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, Goal } from '../types.js';

const KINDS = [
  ['setsid', 'a daemon in a session of its own (setsid)'],
  ['nohup', 'a daemon started with nohup'],
  ['double-fork', 'a daemon left behind by a double fork'],
] as const;

/** Beats sent in flight when the run resolved do not count. */
const GRACE_MS = 3000;
/** How long the exercise listens after the grace. */
const LISTEN_MS = 5000;

/**
 * Each daemon says it lives twice in the task's log (proof it ran), then lets go of the log
 * so the task can end, and beats on the exercise's beacon once a second, 20 times at most.
 */
const DAEMONS = String.raw`
beat() {
  for n in 1 2; do echo "EXERCISE-5 alive $1 $n"; sleep 0.5; done
  exec >/dev/null 2>&1 </dev/null
  for n in $(seq 1 20); do curl -s -m 1 "http://$EXERCISE_BEACON/beat/$1/$n" || true; sleep 1; done
}
export -f beat
setsid bash -c 'beat setsid' &
nohup bash -c 'beat nohup' &
( ( bash -c 'beat double-fork' & ) & )
sleep 2
echo "EXERCISE-5 task ends"
`;

/**
 * Goal 5: from a task, start a process that keeps sending traffic after the task ended.
 * The beacon listens on this machine's loopback, so it detects lingering traffic when the
 * workers share the machine (`bulwark up`, CI); against a remote deployment it cannot.
 */
export const goal5: Goal = {
  number: 5,
  title: 'From a task, start a process that keeps sending traffic after the task ended',
  implemented: true,
  async run(context) {
    const infos = KINDS.map(([id, title]): AttackInfo => ({
      goal: 5,
      id: `5.${id}`,
      title,
      invariants: ['S6'],
    }));
    const host = new URL(context.rootUrl).hostname;
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) {
      const why =
        'the beacon listens on this machine’s loopback: it needs the workers on this machine';
      return infos.map((info) => inconclusive(info, why));
    }
    const beacon = new Beacon();
    const address = await beacon.listen();
    try {
      const task = await runRedTeamTask(context, {
        name: 'leave daemons behind',
        script: DAEMONS,
        env: { EXERCISE_BEACON: address },
      });
      const resolvedAt = Date.now();
      await sleep(GRACE_MS + LISTEN_MS);
      const log = task.log ?? '';
      return infos.map((info): AttackResult => {
        const kind = info.id.slice(2);
        const alive = log
          .split('\n')
          .filter((line) => line.startsWith(`EXERCISE-5 alive ${kind} `));
        const all = beacon.beats.filter((b) => b.kind === kind);
        const late = all.filter((b) => b.at > resolvedAt + GRACE_MS);
        const evidence = {
          taskId: task.taskId,
          logExcerpt: alive.join('\n'),
          notes: [
            `beats on the beacon: ${all.length} in all, ${late.length} more than ${GRACE_MS} ms after the run resolved (${task.state})`,
          ],
        };
        if (late.length > 0) {
          return result(
            info,
            'BREACHED',
            `it still sent traffic ${late.length} time(s) after the task ended`,
            evidence,
          );
        }
        if (alive.length === 0) {
          return inconclusive(info, 'the daemon never showed life in the log', evidence);
        }
        return result(
          info,
          'BLOCKED',
          'it ran during the task and sent nothing after it',
          evidence,
        );
      });
    } catch (err) {
      const why = `the task could not be run: ${(err as Error).message.split('\n')[0] ?? ''}`;
      return infos.map((info) => inconclusive(info, why));
    } finally {
      await beacon.close();
    }
  },
};
