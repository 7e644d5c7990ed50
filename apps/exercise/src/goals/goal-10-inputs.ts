import { randomBytes } from 'node:crypto';
import taskcluster from 'taskcluster-client';
import { certificate } from '../hawk-signer.js';
import { apiPath, rawRequest, type RawAnswer } from '../raw-request.js';
import { taskDefinition } from '../red-team-tasks.js';
import { inconclusive, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, ExerciseContext } from '../types.js';

const attack = (id: string, title: string, invariants: string[]): AttackInfo => ({
  goal: 10,
  id: `10.${id}`,
  title,
  invariants,
});

const OUT_OF_RANGE = ['99999999999999999999', '-1', '9007199254740993', '1e3', '0x10', '-0'];

/**
 * 10.integers-out-of-range: integers no endpoint accepts, in paths, queries and bodies.
 * Each must get a 4xx (or, for a page size, be clamped: a 2xx); a 5xx or no answer at
 * all is the breach (bad input changes nothing and never fails the server).
 */
export async function integersAttack(context: ExerciseContext): Promise<AttackResult> {
  const info = attack('integers-out-of-range', 'integers out of range in API inputs', ['S10']);
  const taskId = taskcluster.slugid();
  const tries: { method: string; path: string; body?: unknown }[] = [];
  for (const n of OUT_OF_RANGE) {
    tries.push(
      {
        method: 'GET',
        path: apiPath(context.rootUrl, 'queue', `/task/${taskId}/runs/${n}/artifacts`),
      },
      {
        method: 'GET',
        path: apiPath(context.rootUrl, 'queue', `/task/${taskId}/artifacts?limit=${n}`),
      },
      { method: 'GET', path: apiPath(context.rootUrl, 'secrets', `/secrets?limit=${n}`) },
      { method: 'GET', path: apiPath(context.rootUrl, 'auth', `/clients/?limit=${n}`) },
    );
  }
  const base = taskDefinition(context, { name: 'an out-of-range integer', script: 'true' });
  for (const [field, value] of [
    ['retries', 1e30],
    ['retries', -1],
    ['priority', 2 ** 53 + 2],
    ['payload', { command: ['true'], maxRunTime: 1e30 }],
    ['created', '+275760-09-13T00:00:00.001Z'],
  ] as const) {
    tries.push({
      method: 'PUT',
      path: apiPath(context.rootUrl, 'queue', `/task/${taskcluster.slugid()}`),
      body: { ...base, [field]: value },
    });
  }
  const failed: string[] = [];
  const statuses = new Map<number, number>();
  for (const attempt of tries) {
    let answer: RawAnswer;
    try {
      answer = await rawRequest(context.rootUrl, { ...attempt, signWith: context.redTeam });
    } catch (err) {
      failed.push(`${attempt.method} ${attempt.path}: no answer (${(err as Error).message})`);
      continue;
    }
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    if (answer.status >= 500) failed.push(`${attempt.method} ${attempt.path}: ${answer.status}`);
  }
  const evidence = {
    request: `${tries.length} requests with ${OUT_OF_RANGE.join(', ')} and oversized task fields`,
    notes: [
      `answers: ${[...statuses].map(([status, count]) => `${count}×${status}`).join(', ')}`,
      ...failed.slice(0, 10),
    ],
  };
  if (failed.length > 0) {
    return result(info, 'BREACHED', `${failed.length} request(s) failed the server`, evidence);
  }
  return result(info, 'BLOCKED', 'every out-of-range input got an answer below 500', evidence);
}

/**
 * 10.policy-lookalike: a restriction that does not apply silently widens. The red team
 * reads its own secret (which it may) narrowed to a scope that differs only by a
 * trailing space or a look-alike letter: the narrowing must hold (403) or be refused
 * (400/401), never be dropped (200).
 */
export async function lookalikePolicyAttack(context: ExerciseContext): Promise<AttackResult> {
  const info = attack(
    'policy-lookalike',
    'a narrowing scope with a trailing space or a look-alike',
    ['S4'],
  );
  const own = context.ownSecret;
  if (!own) return inconclusive(info, 'no secret of the red team’s own: --as does no set-up');
  const path = apiPath(context.rootUrl, 'secrets', `/secret/${encodeURIComponent(own.name)}`);
  const exact = `secrets:get:${own.name}`;
  const plain = await rawRequest(context.rootUrl, {
    method: 'GET',
    path,
    signWith: context.redTeam,
  });
  if (plain.status !== 200) {
    return inconclusive(info, `the red team could not read its own secret (${plain.status})`);
  }
  const variants = [
    `${exact} `,
    exact.replace('e', '\u0435'),
    exact.replace(':get:', ':get:\u200b'),
  ];
  const seen: string[] = [];
  let widened = 0;
  for (const scope of variants) {
    const shown = JSON.stringify(scope);
    const narrowed = await rawRequest(context.rootUrl, {
      method: 'GET',
      path,
      signWith: { ...context.redTeam, ext: { authorizedScopes: [scope] } },
    });
    const temporary = certificate({ signingKey: context.redTeam.accessToken, scopes: [scope] });
    const viaCertificate = await rawRequest(context.rootUrl, {
      method: 'GET',
      path,
      signWith: {
        ...context.redTeam,
        accessToken: temporary.temporaryKey,
        ext: { certificate: temporary.certificate },
      },
    });
    for (const [how, answer] of [
      ['authorizedScopes', narrowed],
      ['temporary credentials', viaCertificate],
    ] as const) {
      seen.push(`${how} ${shown}: ${answer.status} ${answer.code ?? ''}`.trim());
      if (answer.status === 200) widened++;
    }
  }
  const evidence = { request: `GET ${path} as the red team, narrowed`, notes: seen };
  if (widened > 0) {
    return result(info, 'BREACHED', `${widened} narrowing(s) were silently dropped`, evidence);
  }
  return result(info, 'BLOCKED', 'every look-alike narrowing held or was refused', evidence);
}

/**
 * 10.secrets-in-errors: error answers to requests about things the red team may not
 * see (a forged header for the victim, the victim's secret, a malformed body) must carry
 * no credential and no secret value, and no secret name the request did not name itself.
 */
export async function errorBodiesAttack(context: ExerciseContext): Promise<AttackResult> {
  const info = attack('secrets-in-errors', 'credentials and secret values in error answers', [
    'S1',
  ]);
  const victim = context.victims;
  const answers: [string, RawAnswer][] = [];
  const target = victim
    ? apiPath(context.rootUrl, 'secrets', `/secret/${encodeURIComponent(victim.secretName)}`)
    : apiPath(context.rootUrl, 'auth', '/clients/');
  const victimId = victim?.client.clientId ?? 'static/root';
  const ask = async (what: string, request: Parameters<typeof rawRequest>[1]): Promise<void> => {
    answers.push([what, await rawRequest(context.rootUrl, request)]);
  };
  await ask('a forged header for the victim', {
    method: 'GET',
    path: target,
    signWith: { clientId: victimId, accessToken: randomBytes(33).toString('base64url') },
  });
  await ask('the victim’s secret as the red team', {
    method: 'GET',
    path: target,
    signWith: context.redTeam,
  });
  await ask('a malformed task', {
    method: 'PUT',
    path: apiPath(context.rootUrl, 'queue', `/task/${taskcluster.slugid()}`),
    body: { payload: 'not an object', scopes: [`secrets:get:${victim?.secretName ?? 'x'}`] },
    signWith: context.redTeam,
  });
  await ask('the victim’s client', {
    method: 'GET',
    path: apiPath(context.rootUrl, 'auth', `/clients/${encodeURIComponent(victimId)}`),
    signWith: context.redTeam,
  });
  const values = [...context.knownTokens, victim?.secretValue].filter(
    (value): value is string => value !== undefined && value.length >= 8,
  );
  // The victim's secret name may come back only where the request named it.
  const name = victim?.secretName;
  const unnamed = new Set(['the victim’s client']);
  const leaked = answers.filter(
    ([what, answer]) =>
      values.some((value) => answer.body.includes(value)) ||
      (name !== undefined && unnamed.has(what) && answer.body.includes(name)),
  );
  const evidence = {
    notes: answers.map(([what, answer]) => `${what}: ${answer.status} ${answer.code ?? ''}`.trim()),
  };
  if (leaked.length > 0) {
    const which = leaked.map(([what]) => what).join('; ');
    return result(info, 'BREACHED', `an answer carried a credential or value: ${which}`, evidence);
  }
  return result(info, 'BLOCKED', 'no answer carried a credential or a secret value', evidence);
}
