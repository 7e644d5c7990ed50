import taskcluster, { type ServiceClient } from 'taskcluster-client';
import { queueFor, taskDefinition, waitResolved } from './red-team-tasks.js';
import type { Credentials, ExerciseContext, SigningVictims } from './types.js';

/** The signing service's client, built from its served reference (a Bulwark service). */
export async function signingClient(
  rootUrl: string,
  credentials?: Credentials,
): Promise<ServiceClient> {
  const response = await fetch(`${rootUrl}/api/signing/v1/reference`);
  if (!response.ok) throw new Error(`the signing service's reference answered ${response.status}`);
  const Signing = taskcluster.createClient(await response.json());
  return new Signing({ rootUrl, ...(credentials ? { credentials } : {}), retries: 1 });
}

/** The victim's signing keys of one run: names only the exercise's own. */
export function victimKeyIds(runId: string): { release: string; nightly: string } {
  return { release: `exercise-${runId}-release`, nightly: `exercise-${runId}-nightly` };
}

/**
 * The victim's release keys: `release` wants level 3, two agreeing replicas and a trusted
 * one; `nightly` signs one run, but only of the victim's own pool. With the test-only
 * weakening `signing-policy`, nightly signs for every queue: the policy that does not
 * apply, which goal 9's own-task attack must then report breached.
 */
export async function createVictimKeys(
  admin: ServiceClient,
  runId: string,
  victimPool: string,
  weakened: boolean,
  made: (keyId: string) => void,
): Promise<void> {
  const keys = victimKeyIds(runId);
  await admin.createKey!(keys.release, {
    description: `bulwark exercise ${runId}: the victim's release key`,
    policy: {
      minLevel: 3,
      replicas: 2,
      trustedTaskQueueId: `exercise-${runId}/trusted`,
      taskQueues: [`exercise-${runId}/*`],
    },
  });
  made(keys.release);
  await admin.createKey!(keys.nightly, {
    description: `bulwark exercise ${runId}: the victim's nightly key`,
    policy: { minLevel: 1, replicas: 1, taskQueues: weakened ? ['*'] : [victimPool] },
  });
  made(keys.nightly);
}

/**
 * A victim task in the red team's pool that completes with a real provenance: what the
 * replay attack copies. Runs before anything else occupies the pool, and is bounded.
 */
export async function victimRelease(
  context: ExerciseContext,
  victim: Credentials,
  made: (taskId: string) => void,
): Promise<SigningVictims['release']> {
  const queue = queueFor(context, victim);
  const taskId = taskcluster.slugid();
  const content = `the victim's release ${context.runId}\n`;
  await queue.createTask!(
    taskId,
    taskDefinition(context, {
      name: 'a victim release build',
      script: `mkdir -p out && printf '%s\\n' "the victim's release ${context.runId}" > out/release.bin`,
      artifacts: [{ type: 'file', path: 'out/release.bin', name: 'public/release.bin' }],
    }),
  );
  made(taskId);
  const status = await waitResolved(context, queue, taskId, 120_000);
  return status.state === 'completed'
    ? { taskId, artifact: 'public/release.bin', content }
    : undefined;
}
