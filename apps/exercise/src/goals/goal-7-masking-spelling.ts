import { markedLines, python, runRedTeamTask } from '../red-team-tasks.js';
import { inconclusive, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, ExerciseContext } from '../types.js';
import { encodingsOf } from './goal-7-masking.js';

const MARK = 'EXERCISE-7';

/**
 * Reads a secret the task may read through its proxy by spellings of its path that a
 * router may take for the secrets service's get endpoint while a string comparison
 * does not: an encoded letter, a lower-case `%2f`, an empty or a dot segment. Whatever
 * comes back is printed as it came, so an unmasked value shows.
 */
const SPELLED = String.raw`
import os, urllib.request, urllib.error, json
proxy = os.environ['TASKCLUSTER_PROXY_URL'].rstrip('/')
name = os.environ['OWN_SECRET']
enc = name.replace('/', '%2F')
spellings = [
    '/api/%73ecrets/v1/secret/' + enc,
    '/api/secret%73/v1/secret/' + enc,
    '/api/secrets/v1/%73ecret/' + enc,
    '/api/secrets/v1/secret/' + name.replace('/', '%2f'),
    '/api/secrets/v1//secret/' + enc,
    '/api/secrets/v1/x/../secret/' + enc,
    '/api/secrets/v1/secret/' + enc.replace('e', '%65', 1),
]
for i, path in enumerate(spellings):
    try:
        with urllib.request.urlopen(urllib.request.Request(proxy + path), timeout=10) as r:
            status, body = r.status, r.read().decode('utf8', 'replace')
    except urllib.error.HTTPError as e:
        status, body = e.code, ''
    except OSError as e:
        status, body = 'error', ''
    print('EXERCISE-7 spelled-%d %s %s' % (i, status, path[:path.rindex('/')]), flush=True)
    if status == 200:
        try:
            print('EXERCISE-7 value-%d %s' % (i, json.loads(body)['secret']['value']), flush=True)
        except (ValueError, KeyError, TypeError):
            print('EXERCISE-7 value-%d (unreadable)' % i, flush=True)
print('EXERCISE-7 done', flush=True)
`;

/**
 * 7.masking-spelling: a task reads a secret it may read by a path spelling the proxy's
 * masking could miss (it learns a value from the answers of the secrets service, S15);
 * BREACHED when the value shows in the log in any encoding masking covers.
 */
export async function maskingBySpellingAttack(context: ExerciseContext): Promise<AttackResult> {
  const info: AttackInfo = {
    goal: 7,
    id: '7.masking-spelling',
    title: 'read a secret the task may read by path spellings and encodings masking may miss',
    invariants: ['S15', 'S12'],
  };
  const own = context.ownSecret;
  if (!own) return inconclusive(info, 'no secret of the red team’s own: --as does no set-up');
  let task;
  try {
    task = await runRedTeamTask(context, {
      name: 'read a secret by other spellings of its path',
      script: python(SPELLED),
      proxy: true,
      scopes: [`secrets:get:${own.name}`],
      env: { OWN_SECRET: own.name },
    });
  } catch (err) {
    const why = `the task could not be created: ${(err as Error).message.split('\n')[0] ?? ''}`;
    return inconclusive(info, why);
  }
  const log = task.log ?? '';
  const lines = markedLines(log, MARK);
  const excerpt = [...lines].map(([method, rest]) => `${MARK} ${method} ${rest}`).join('\n');
  const evidence = { taskId: task.taskId, logExcerpt: excerpt };
  const shown = encodingsOf(own.value).filter(([, spelling]) => log.includes(spelling));
  if (shown.length > 0) {
    const how = shown.map(([encoding]) => encoding).join(', ');
    return result(info, 'BREACHED', `the log shows the value (${how})`, evidence);
  }
  if (!lines.has('done')) {
    return inconclusive(info, `the task did not try every spelling (${task.state})`, evidence);
  }
  const read = [...lines.keys()].filter((key) => key.startsWith('value-'));
  const why =
    read.length > 0
      ? `${read.length} spelling(s) read the secret, and the log masked it`
      : 'no spelling read the secret';
  return result(info, 'BLOCKED', why, evidence);
}
