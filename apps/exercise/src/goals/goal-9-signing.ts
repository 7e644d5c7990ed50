import taskcluster from 'taskcluster-client';
import { forgeAttestations } from '../forged-attestations.js';
import { apiPath, rawRequest, type RawAnswer } from '../raw-request.js';
import { queueFor, readArtifact, runRedTeamTask, type FinishedTask } from '../red-team-tasks.js';
import { signingClient } from '../set-up-signing.js';
import { inconclusive, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, Credentials, ExerciseContext, Goal } from '../types.js';

const attack = (id: string, title: string, invariants: string[]): AttackInfo => ({
  goal: 9,
  id: `9.${id}`,
  title,
  invariants,
});

const PROVENANCE = 'public/bulwark/provenance.intoto.json';

interface Asked {
  request: string;
  answer: RawAnswer;
}

async function askToSign(
  context: ExerciseContext,
  who: Credentials,
  keyId: string,
  taskId: string,
  artifact: string,
): Promise<Asked> {
  const path = apiPath(context.rootUrl, 'signing', `/sign/${encodeURIComponent(keyId)}`);
  const answer = await rawRequest(context.rootUrl, {
    method: 'POST',
    path,
    body: { taskId, artifact },
    signWith: who,
  });
  return { request: `POST ${path} {${taskId}, ${artifact}} as ${who.clientId}`, answer };
}

/** Why the service said no, from its error message's first line. */
const reasonOf = (answer: RawAnswer): string => {
  try {
    return String((JSON.parse(answer.body) as { message?: string }).message ?? '').split('\n')[0]!;
  } catch {
    return answer.body.slice(0, 200);
  }
};

/**
 * A signature answered is a breach; a refusal for want of scope (401, 403) or by the
 * key's policy (409) is blocked; anything else decides nothing.
 */
function signingVerdict(info: AttackInfo, asked: Asked[], taskId?: string): AttackResult {
  const evidence = (a: Asked) => ({
    request: a.request,
    status: a.answer.status,
    ...(a.answer.code ? { code: a.answer.code } : {}),
    ...(taskId ? { taskId } : {}),
  });
  const signed = asked.find((a) => a.answer.status >= 200 && a.answer.status < 300);
  if (signed) return result(info, 'BREACHED', 'a signature was answered', evidence(signed));
  const undecided = asked.find((a) => ![401, 403, 409].includes(a.answer.status));
  if (undecided || asked.length === 0) {
    return inconclusive(info, 'the signing service neither signed nor refused', {
      ...(undecided ? evidence(undecided) : {}),
      notes: undecided ? [undecided.answer.body.slice(0, 300)] : ['nothing was asked'],
    });
  }
  return result(info, 'BLOCKED', `every request was refused (${asked.length})`, {
    ...evidence(asked[0]!),
    notes: asked.map((a) => `${a.answer.status} ${a.answer.code ?? ''}: ${reasonOf(a.answer)}`),
  });
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

/**
 * Goal 9: get a malicious binary signed with a real release key. The red team holds
 * try-level credentials: it asks itself, and it tries to trick the victim's release
 * pipeline (the victim's client, which may sign) into signing what its own tasks made,
 * beside forged and replayed attestations and under the control plane's reserved names.
 */
export const goal9: Goal = {
  number: 9,
  title: 'Get a malicious binary signed with a real signing key',
  implemented: true,
  async run(context) {
    const victims = context.victims;
    const signing = victims?.signing;
    const keys = signing
      ? [signing.releaseKeyId, signing.nightlyKeyId]
      : (
          (await (
            await signingClient(context.rootUrl)
          ).listKeys!()) as {
            keys: { keyId: string }[];
          }
        ).keys.map((k) => k.keyId);
    const direct = attack('ask-directly', 'ask the signing service with try-level credentials', [
      'S16',
      'S17',
    ]);
    const target = signing?.release?.taskId ?? taskcluster.slugid();
    const asked = await Promise.all(
      keys.map((k) => askToSign(context, context.redTeam, k, target, 'public/release.bin')),
    );
    const results = [signingVerdict(direct, asked)];
    const own = attack('own-task', 'a malicious binary of its own level-1 task', ['S17']);
    const forged = attack('forged-attestations', 'forged provenance and summary beside it', [
      'S17',
    ]);
    const reserved = attack('reserved-names', 'publish under the control plane’s names', [
      'S17',
      'S18',
    ]);
    const replay = attack('replay', 'the victim’s bytes and provenance, replayed', ['S17']);
    if (!victims || !signing?.release) {
      const why = victims
        ? 'the victim’s release did not complete at set-up'
        : 'no victim keys: --as attacks an existing client without set-up';
      return [...results, ...[own, forged, reserved, replay].map((a) => inconclusive(a, why))];
    }
    const pipeline = victims.client;
    const release = signing.release;
    const redQueue = queueFor(context, context.redTeam);
    const realProvenance = await readArtifact(context, redQueue, release.taskId, 0, PROVENANCE);
    const releaseBytes = await readArtifact(context, redQueue, release.taskId, 0, release.artifact);
    const malicious = `a malicious binary ${context.runId}\n`;
    const fakes = forgeAttestations(
      realProvenance,
      release.taskId,
      'public/malicious.bin',
      malicious,
      `exercise-${context.runId}/trusted`,
    );
    const file = (path: string, name: string) => ({ type: 'file' as const, path, name });
    const [made, reservedTask] = await Promise.all([
      runRedTeamTask(context, {
        name: 'goal 9: a malicious binary with forged and replayed attestations',
        script: [
          'mkdir -p out/forged',
          'printf %s "$MALICIOUS" > out/malicious.bin',
          'printf %s "$RELEASE" | base64 -d > out/release.bin',
          'printf %s "$VICTIM_PROVENANCE" | base64 -d > out/provenance.intoto.json',
          'printf %s "$FORGED_PROVENANCE" | base64 -d > out/forged/provenance.intoto.json',
          'printf %s "$FORGED_SUMMARY" | base64 -d > out/forged/verification.intoto.json',
        ].join('\n'),
        env: {
          MALICIOUS: malicious,
          RELEASE: b64(releaseBytes),
          VICTIM_PROVENANCE: b64(realProvenance),
          FORGED_PROVENANCE: b64(fakes.provenance),
          FORGED_SUMMARY: b64(fakes.summary),
        },
        artifacts: [
          file('out/malicious.bin', 'public/malicious.bin'),
          file('out/release.bin', 'public/release.bin'),
          file('out/provenance.intoto.json', 'public/provenance.intoto.json'),
          file('out/forged/provenance.intoto.json', 'public/forged/provenance.intoto.json'),
          file('out/forged/verification.intoto.json', 'public/verification.intoto.json'),
        ],
      }),
      runRedTeamTask(context, {
        name: 'goal 9: attestations under the reserved names',
        script: [
          'mkdir -p out',
          'printf %s "$MALICIOUS" > out/malicious.bin',
          'printf %s "$FORGED_PROVENANCE" | base64 -d > out/p.json',
          'printf %s "$FORGED_SUMMARY" | base64 -d > out/v.json',
        ].join('\n'),
        env: {
          MALICIOUS: malicious,
          FORGED_PROVENANCE: b64(fakes.provenance),
          FORGED_SUMMARY: b64(fakes.summary),
        },
        artifacts: [
          file('out/malicious.bin', 'public/malicious.bin'),
          file('out/p.json', PROVENANCE),
          file('out/v.json', 'public/bulwark/verification.intoto.json'),
        ],
      }),
    ]);
    const pipelineAsks = (task: FinishedTask, keyIds: string[], artifact: string) =>
      Promise.all(keyIds.map((k) => askToSign(context, pipeline, k, task.taskId, artifact)));
    if (made.state !== 'completed') {
      const why = `the red team's task resolved ${made.state}: no provenance to test the policy with`;
      results.push(inconclusive(own, why, { taskId: made.taskId }));
      results.push(inconclusive(forged, why, { taskId: made.taskId }));
      results.push(inconclusive(replay, why, { taskId: made.taskId }));
    } else {
      const binary = 'public/malicious.bin';
      results.push(
        signingVerdict(own, await pipelineAsks(made, keys, binary), made.taskId),
        signingVerdict(
          forged,
          await pipelineAsks(made, [signing.releaseKeyId], binary),
          made.taskId,
        ),
        signingVerdict(
          replay,
          await pipelineAsks(made, [signing.releaseKeyId], 'public/release.bin'),
          made.taskId,
        ),
      );
    }
    results.push(
      await reservedVerdict(context, reserved, reservedTask, fakes.provenance, () =>
        pipelineAsks(reservedTask, [signing.releaseKeyId], 'public/malicious.bin'),
      ),
    );
    return results;
  },
};

/**
 * The reserved names: a breach is the forged provenance served under the control plane's
 * name, or a signature; blocked is the name refused to the upload and every ask refused.
 */
async function reservedVerdict(
  context: ExerciseContext,
  info: AttackInfo,
  task: FinishedTask,
  forgedProvenance: string,
  ask: () => Promise<Asked[]>,
): Promise<AttackResult> {
  const queue = queueFor(context, context.redTeam);
  const served = await readArtifact(context, queue, task.taskId, task.runId, PROVENANCE).catch(
    () => undefined,
  );
  if (served === forgedProvenance) {
    return result(info, 'BREACHED', 'the forged provenance is served under the reserved name', {
      taskId: task.taskId,
      request: `GET ${PROVENANCE} of ${task.taskId}`,
    });
  }
  const verdict = signingVerdict(info, await ask(), task.taskId);
  if (verdict.verdict !== 'BLOCKED') return verdict;
  return result(info, 'BLOCKED', `${PROVENANCE} is not the red team’s; ${verdict.reason}`, {
    ...verdict.evidence,
    notes: [
      `the task resolved ${task.state}; the reserved name holds ${served === undefined ? 'nothing' : 'the control plane’s provenance'}`,
      ...(verdict.evidence.notes ?? []),
    ],
  });
}
