import { deploymentIsLocal, HostVictim, ownAddresses } from '../host-victim.js';
import { markedLines, runRedTeamTask } from '../red-team-tasks.js';
import { inconclusive, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, ExerciseContext, Goal } from '../types.js';
import { networkAttacks } from './goal-6-network.js';
import { proxyRelayAttacks } from './goal-6-proxy-relay.js';

const MARK = 'EXERCISE-6';

/**
 * The task goes around its proxy to the control plane itself, the one host the exercise
 * may send traffic to. Three tries, three seconds each at most.
 */
const AROUND_THE_PROXY = String.raw`
code=000
for i in 1 2 3; do
  code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' "$EXERCISE_ROOT_URL/api/queue/v1/ping" 2>/dev/null)
  [ "$code" != 000 ] && break
done
echo "EXERCISE-6 control-plane $code"
`;

/** Attacks whose BLOCKED rests on the victim on this machine hearing nothing. */
const DECIDED_BY_THE_VICTIM = new Set([
  '6.loopback',
  '6.host-addresses',
  '6.abstract-unix',
  '6.proxy-absolute-form',
  '6.proxy-connect',
  '6.proxy-smuggling',
]);

/**
 * Goal 6: from a task, make another host on the network run code. The first step of
 * any such attack is reaching a host at all; by default a task reaches only its proxy
 * (S7). The "other host" is a victim listener on this machine (every address of it, and
 * the abstract unix namespace): the exercise never makes a task send anything off it.
 * The three tasks run side by side.
 */
export const goal6: Goal = {
  number: 6,
  title: 'From a task, make another host on the network run code',
  implemented: true,
  async run(context) {
    const victim = new HostVictim(context.runId);
    const at = await victim.listen();
    try {
      const local = deploymentIsLocal(context.rootUrl);
      const [direct, network, relay] = await Promise.all([
        aroundTheProxy(context),
        networkAttacks(context, victim, { ...at, safe: ownAddresses() }),
        proxyRelayAttacks(context, victim, at.port),
      ]);
      // Against a deployment elsewhere the victim is out of the task's reach anyway:
      // only what the task itself found decides, never the silence of the victim.
      const remote = (found: AttackResult): AttackResult =>
        local || found.verdict !== 'BLOCKED' || !DECIDED_BY_THE_VICTIM.has(found.id)
          ? found
          : inconclusive(
              found,
              'the victim listens on this machine: it needs the workers on this machine',
              found.evidence,
            );
      return [direct, ...network.map(remote), ...relay.map(remote)];
    } finally {
      await victim.close();
    }
  },
};

async function aroundTheProxy(context: ExerciseContext): Promise<AttackResult> {
  const info: AttackInfo = {
    goal: 6,
    id: '6.reach-control-plane',
    title: 'reach the control plane directly, around the task’s proxy',
    invariants: ['S7'],
  };
  let task;
  try {
    task = await runRedTeamTask(context, {
      name: 'reach the control plane around the proxy',
      script: AROUND_THE_PROXY,
      env: { EXERCISE_ROOT_URL: context.rootUrl },
    });
  } catch (err) {
    return inconclusive(
      info,
      `the task could not be created: ${(err as Error).message.split('\n')[0] ?? ''}`,
    );
  }
  const code = markedLines(task.log ?? '', MARK).get('control-plane');
  const evidence = {
    taskId: task.taskId,
    request: `GET ${context.rootUrl}/api/queue/v1/ping from inside the task`,
    logExcerpt: code === undefined ? (task.log ?? '').slice(-600) : `${MARK} control-plane ${code}`,
  };
  if (code === undefined)
    return inconclusive(info, `the task did not report (${task.state})`, evidence);
  if (code === '000') return result(info, 'BLOCKED', 'no connection from the task', evidence);
  return result(info, 'BREACHED', `the control plane answered the task (${code})`, evidence);
}
