import { markedLines, runRedTeamTask } from '../red-team-tasks.js';
import { inconclusive, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, ExerciseContext } from '../types.js';

const MARK = 'EXERCISE-7';

/**
 * Reads a secret the task may read through its proxy and prints it in the encodings S15
 * promises to mask. Perl's core modules do the encoding: no network, nothing installed.
 */
const PRINT_ENCODED = String.raw`
name=$(printf %s "$OWN_SECRET" | sed 's|/|%2F|g')
curl -s -m 10 -o /tmp/secret -w '%{http_code}' "$TASKCLUSTER_PROXY_URL/api/secrets/v1/secret/$name" > /tmp/status
echo "EXERCISE-7 fetched $(cat /tmp/status)"
perl -MJSON::PP -MMIME::Base64 -e '
  local $/; open(my $f, "<", "/tmp/secret") or exit 0; my $v = decode_json(<$f>)->{secret}{value};
  (my $url = $v) =~ s/([^A-Za-z0-9_.~-])/sprintf("%%%02X", ord($1))/ge;
  print "EXERCISE-7 raw $v\n";
  print "EXERCISE-7 base64 ", encode_base64($v, ""), "\n";
  print "EXERCISE-7 hex ", unpack("H*", $v), "\n";
  print "EXERCISE-7 url $url\n";
  print "EXERCISE-7 json ", JSON::PP->new->encode([$v]), "\n";
'
echo "EXERCISE-7 done"
`;

/** The spellings of `value` S15 names, as the exercise looks for them in the log. */
export function encodingsOf(value: string): [string, string][] {
  return [
    ['raw', value],
    ['base64', Buffer.from(value).toString('base64')],
    ['hex', Buffer.from(value).toString('hex')],
    [
      'url',
      encodeURIComponent(value).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      ),
    ],
    ['json', JSON.stringify(value).slice(1, -1)],
  ];
}

/**
 * 7.masking: a task prints a secret it may read, in the encodings S15 promises to mask;
 * BREACHED when the log shows the value in any of them. (A task can always leak what it
 * may read by a spelling of its own; the masking is for the common ones.)
 */
export async function maskingAttack(context: ExerciseContext): Promise<AttackResult> {
  const info: AttackInfo = {
    goal: 7,
    id: '7.masking',
    title: 'print a secret the task may read in the encodings masking covers',
    invariants: ['S15', 'S1'],
  };
  const own = context.ownSecret;
  if (!own) return inconclusive(info, 'no secret of the red team’s own: --as does no set-up');
  let task;
  try {
    task = await runRedTeamTask(context, {
      name: 'print a secret in every encoding',
      script: PRINT_ENCODED,
      proxy: true,
      scopes: [`secrets:get:${own.name}`],
      env: { OWN_SECRET: own.name },
    });
  } catch (err) {
    return inconclusive(
      info,
      `the task could not be created: ${(err as Error).message.split('\n')[0] ?? ''}`,
    );
  }
  const log = task.log ?? '';
  const lines = markedLines(log, MARK);
  const excerpt = [...lines].map(([method, rest]) => `${MARK} ${method} ${rest}`).join('\n');
  const evidence = { taskId: task.taskId, logExcerpt: excerpt };
  if (lines.get('fetched') !== '200') {
    return inconclusive(
      info,
      `the task could not read its own secret (${lines.get('fetched') ?? task.state})`,
      evidence,
    );
  }
  const shown = encodingsOf(own.value).filter(([, spelling]) => log.includes(spelling));
  if (shown.length > 0) {
    return result(
      info,
      'BREACHED',
      `the log shows the value ${shown.map(([how]) => how).join(', ')}`,
      evidence,
    );
  }
  if (!lines.has('json'))
    return inconclusive(info, 'the task did not print every encoding', evidence);
  return result(info, 'BLOCKED', 'every encoding was masked in the log', evidence);
}
