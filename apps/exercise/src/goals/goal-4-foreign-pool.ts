import taskcluster from 'taskcluster-client';
import { apiPath, rawRequest } from '../raw-request.js';
import { queueFor, taskDefinition, waitFor } from '../red-team-tasks.js';
import { inconclusive, refusalVerdict, type AttackInfo } from '../verdicts.js';
import type { AttackResult, ExerciseContext, Goal } from '../types.js';

const attack = (id: string, title: string, invariants: string[]): AttackInfo => ({
  goal: 4,
  id: `4.${id}`,
  title,
  invariants,
});

/**
 * Goal 4: claim, "execute" (log `OWNED!`) and resolve a task of an existing worker pool.
 * A claim that succeeds already is the breach: its answer carries the run's credentials.
 */
export const goal4: Goal = {
  number: 4,
  title: 'Claim and resolve a task of an existing worker pool',
  implemented: true,
  async run(context) {
    const results: AttackResult[] = [];
    const foreignPool = context.victims?.pool ?? context.pool;
    const claimForeign = attack('claim-foreign-pool', 'claimWork on another project’s pool', [
      'S5',
    ]);
    const foreignPath = apiPath(context.rootUrl, 'queue', `/claim-work/${foreignPool}`);
    const claimed = await rawRequest(context.rootUrl, {
      method: 'POST',
      path: foreignPath,
      body: { workerGroup: 'exercise', workerId: 'red-team', tasks: 1 },
      signWith: context.redTeam,
    });
    results.push(
      refusalVerdict(claimForeign, `POST ${foreignPath} as the red team`, claimed, 'claiming work'),
    );

    const forgedId = attack(
      'claim-forged-worker-id',
      'claimWork in its own pool as the pool’s worker',
      ['S5'],
    );
    const ownPath = apiPath(context.rootUrl, 'queue', `/claim-work/${context.pool}`);
    const [group, id] = ['local', 'local-1'];
    const forged = await rawRequest(context.rootUrl, {
      method: 'POST',
      path: ownPath,
      body: { workerGroup: group, workerId: id, tasks: 1 },
      signWith: context.redTeam,
    });
    results.push(
      refusalVerdict(
        forgedId,
        `POST ${ownPath} as worker ${group}/${id}`,
        forged,
        'claiming as the worker',
      ),
    );

    results.push(await resolveVictimRun(context));
    results.push(await resolveRunningRun(context));
    return results;
  },
};

/** reportCompleted on the victim's pending task, which no worker of the red team's ever saw. */
async function resolveVictimRun(context: ExerciseContext): Promise<AttackResult> {
  const info = attack('resolve-victim-run', 'reportCompleted on the victim’s run', ['S5', 'S3']);
  if (!context.victims) return inconclusive(info, 'no victim task: --as does no set-up');
  const path = apiPath(
    context.rootUrl,
    'queue',
    `/task/${context.victims.pendingTaskId}/runs/0/completed`,
  );
  const answer = await rawRequest(context.rootUrl, {
    method: 'POST',
    path,
    signWith: context.redTeam,
  });
  return refusalVerdict(info, `POST ${path} as the red team`, answer, 'resolving the victim’s run');
}

/**
 * reportCompleted on a run a real worker is executing: the red team's own task (it made
 * the task, but the run belongs to the worker that claimed it).
 */
async function resolveRunningRun(context: ExerciseContext): Promise<AttackResult> {
  const info = attack('resolve-running-run', 'reportCompleted on a run the pool’s worker holds', [
    'S5',
    'S3',
  ]);
  const queue = queueFor(context, context.redTeam);
  const taskId = taskcluster.slugid();
  try {
    await queue.createTask!(
      taskId,
      taskDefinition(context, {
        name: 'a run for the red team to resolve',
        script: 'sleep 20',
        maxRunTime: 30,
      }),
    );
  } catch (err) {
    return inconclusive(
      info,
      `the red team could not create a task in ${context.pool}: ${(err as Error).message.split('\n')[0] ?? ''}`,
    );
  }
  const status = await waitFor(context, queue, taskId, 0, (s) => s.state !== 'pending');
  if (status.state !== 'running') {
    return inconclusive(
      info,
      `the task never ran (${status.state}): is a worker serving ${context.pool}?`,
      { taskId },
    );
  }
  const path = apiPath(context.rootUrl, 'queue', `/task/${taskId}/runs/0/completed`);
  const answer = await rawRequest(context.rootUrl, {
    method: 'POST',
    path,
    signWith: context.redTeam,
  });
  const verdict = refusalVerdict(
    info,
    `POST ${path} as the red team`,
    answer,
    'resolving the worker’s run',
  );
  return { ...verdict, evidence: { ...verdict.evidence, taskId } };
}
