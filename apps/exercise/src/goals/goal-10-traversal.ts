import { queueFor, readArtifact, runRedTeamTask, type FinishedTask } from '../red-team-tasks.js';
import { inconclusive, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, ExerciseContext } from '../types.js';

const PREFIX = 'public/exercise-traversal';
/** What the task writes into its own file: anything else published came from outside it. */
const INSIDE = 'inside the task';

/**
 * Artifacts whose path leaves the task directory (climbing, absolute, through a link the
 * task made to a host file) and whose names climb out of their prefix. The worker reads
 * artifact files on the host, outside the sandbox: a path it followed would publish a
 * host file.
 */
const ARTIFACTS = [
  { type: 'file', path: '../../../../../../../../etc/hostname', name: `${PREFIX}/climbing` },
  { type: 'file', path: '/etc/hostname', name: `${PREFIX}/absolute` },
  { type: 'file', path: 'link', name: `${PREFIX}/symlink` },
  { type: 'file', path: 'dir-link/hostname', name: `${PREFIX}/through-a-link` },
  { type: 'file', path: 'inside.txt', name: `${PREFIX}/../../exercise-climbed` },
  { type: 'file', path: 'inside.txt', name: `${PREFIX}/%2e%2e/exercise-encoded` },
  { type: 'file', path: 'inside.txt', name: `${PREFIX}/..\\exercise-backslash` },
] as const;

const SCRIPT = `printf '${INSIDE}' > inside.txt; ln -s /etc/hostname link; ln -s /etc dir-link; echo EXERCISE-10 ready`;

/**
 * 10.traversal-names: a task declares those artifacts. BREACHED when any was published
 * with a name that climbs (`..` after decoding) or with content that is not the task's
 * own; BLOCKED when each was refused (the task failed or the artifact is absent).
 */
export async function traversalAttack(context: ExerciseContext): Promise<AttackResult> {
  const info: AttackInfo = {
    goal: 10,
    id: '10.traversal-names',
    title: 'traversal in artifact paths and names',
    invariants: ['S11', 'S3'],
  };
  let task: FinishedTask;
  try {
    task = await runRedTeamTask(context, {
      name: 'publish artifacts from outside the task directory',
      script: SCRIPT,
      artifacts: ARTIFACTS.map((artifact) => ({ ...artifact })),
    });
  } catch (err) {
    const message = (err as Error).message.split('\n')[0] ?? '';
    if (/\b400\b|InputValidationError|InvalidRequestArguments/.test(message)) {
      return result(info, 'BLOCKED', 'the queue refused the task', { notes: [message] });
    }
    return inconclusive(info, `the task could not be created: ${message}`);
  }
  const queue = queueFor(context, context.redTeam);
  let names: string[];
  try {
    const listed = (await queue.listArtifacts!(task.taskId, task.runId)) as {
      artifacts: { name: string }[];
    };
    names = listed.artifacts.map((artifact) => artifact.name);
  } catch (err) {
    return inconclusive(info, `the artifacts could not be listed: ${(err as Error).message}`);
  }
  const climbed = names.filter((name) =>
    decodeURIComponent(name.replace(/%(?![0-9A-Fa-f]{2})/g, '%25'))
      .split(/[/\\]/)
      .includes('..'),
  );
  const outside: string[] = [];
  for (const name of names.filter((n) => n.startsWith(`${PREFIX}/`))) {
    const body = await readArtifact(context, queue, task.taskId, task.runId, name).catch(
      () => undefined,
    );
    if (body !== undefined && body !== INSIDE) outside.push(name);
  }
  const evidence = {
    taskId: task.taskId,
    request: `${ARTIFACTS.length} declared artifacts under ${PREFIX}`,
    notes: [
      `task ${task.state}; published: ${names.filter((n) => n.includes('exercise')).join(', ') || 'none of them'}`,
    ],
  };
  if (climbed.length > 0 || outside.length > 0) {
    const what = [...climbed, ...outside].join(', ');
    return result(
      info,
      'BREACHED',
      `published from outside the task or its prefix: ${what}`,
      evidence,
    );
  }
  return result(info, 'BLOCKED', 'every traversal was refused', evidence);
}
