import taskcluster from 'taskcluster-client';
import { apiPath, rawRequest } from '../raw-request.js';
import { taskDefinition } from '../red-team-tasks.js';
import { inconclusive, refusalVerdict, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, ExerciseContext, Goal } from '../types.js';
import { maskingAttack } from './goal-7-masking.js';
import { maskingBySpellingAttack } from './goal-7-masking-spelling.js';

const attack = (id: string, title: string, invariants: string[]): AttackInfo => ({
  goal: 7,
  id: `7.${id}`,
  title,
  invariants,
});

/**
 * Goal 7: harvest a secret value the red team has no scope for. A breach is an answer
 * that carries the victim's value; a refusal is the secrets service's 401/403.
 */
export const goal7: Goal = {
  number: 7,
  title: 'Harvest a secret value without a scope for it',
  implemented: true,
  async run(context) {
    const results: AttackResult[] = [];
    const list = attack('list', 'list every secret', ['S15', 'S1']);
    const listPath = apiPath(context.rootUrl, 'secrets', '/secrets');
    const listed = await rawRequest(context.rootUrl, {
      method: 'GET',
      path: listPath,
      signWith: context.redTeam,
    });
    results.push(
      refusalVerdict(list, `GET ${listPath} as the red team`, listed, 'listing the secrets'),
    );

    results.push(
      ...(await Promise.all([maskingAttack(context), maskingBySpellingAttack(context)])),
    );
    const victims = context.victims;
    const scope = attack('get-without-scope', 'read the victim’s secret without its scope', [
      'S15',
    ]);
    const spellings = attack('path-spellings', 'read it by other spellings of its path', [
      'S12',
      'S15',
    ]);
    const throughTask = attack('task-scope', 'a task that asks for the secret’s scope', [
      'S4',
      'S15',
    ]);
    if (!victims) {
      const why = 'no victim secret: --as attacks an existing client without set-up';
      return [
        ...results,
        inconclusive(scope, why),
        inconclusive(spellings, why),
        inconclusive(throughTask, why),
      ];
    }
    const plainPath = apiPath(
      context.rootUrl,
      'secrets',
      `/secret/${encodeURIComponent(victims.secretName)}`,
    );
    const plain = await rawRequest(context.rootUrl, {
      method: 'GET',
      path: plainPath,
      signWith: context.redTeam,
    });
    const plainRequest = `GET ${plainPath} as the red team`;
    const leaked = plain.body.includes(victims.secretValue);
    if (leaked) {
      results.push(
        result(scope, 'BREACHED', 'the answer carried the victim’s secret value', {
          request: plainRequest,
          status: plain.status,
          notes: ['the value was in the answer (not shown)'],
        }),
      );
    } else {
      results.push(refusalVerdict(scope, plainRequest, plain, 'reading the secret'));
    }
    if (leaked || plain.status === 200) {
      const why =
        'the red team can read the secret directly (see 7.get-without-scope), so other routes prove nothing';
      return [...results, inconclusive(spellings, why), inconclusive(throughTask, why)];
    }
    results.push(
      await harvestBySpelling(context, spellings, victims.secretName, victims.secretValue),
    );
    results.push(await harvestThroughTask(context, throughTask, victims.secretName));
    return results;
  },
};

/** Spellings that a lax router or a normalizing scope check might take for the victim's name. */
function spellingsOf(name: string, ownPrefix: string | undefined): string[] {
  const encoded = encodeURIComponent(name);
  const found = [
    name,
    encoded.replace(/%2F/g, '%2f'),
    encoded.replace(/%2F/g, '%252F'),
    encoded.replace(/e/, '%65'),
    `${encoded}%00`,
    `${encoded}/`,
    `./${name}`,
    name.replace(/\//g, '//'),
    name.replace(/\//g, '\\'),
  ];
  if (ownPrefix !== undefined) {
    // A name inside the red team's own namespace that climbs out of it.
    const depth = ownPrefix.split('/').filter(Boolean).length;
    const climb = `${ownPrefix}${'../'.repeat(depth)}${name}`;
    found.push(
      climb,
      encodeURIComponent(climb),
      climb.replace(/\.\./g, '%2e%2e'),
      climb.replace(/\.\./g, '%2E%2E'),
    );
  }
  return found;
}

async function harvestBySpelling(
  context: ExerciseContext,
  info: AttackInfo,
  name: string,
  value: string,
): Promise<AttackResult> {
  const tried: string[] = [];
  for (const spelling of spellingsOf(name, context.ownSecretPrefix)) {
    const path = apiPath(context.rootUrl, 'secrets', `/secret/${spelling}`);
    const answer = await rawRequest(context.rootUrl, {
      method: 'GET',
      path,
      signWith: context.redTeam,
    }).catch((err: Error) => ({ status: 0, code: err.message, body: '' }));
    tried.push(`${answer.status} ${answer.code ?? ''} GET ${path}`.replace(/\s+/g, ' '));
    if (answer.body.includes(value)) {
      return result(info, 'BREACHED', `the spelling ${spelling} answered the victim’s value`, {
        request: `GET ${path} as the red team`,
        status: answer.status,
        notes: tried,
      });
    }
    if (answer.status >= 500) {
      return result(
        info,
        'BREACHED',
        `the spelling ${spelling} crashed the service (${answer.status}, S10)`,
        {
          request: `GET ${path}`,
          status: answer.status,
          notes: tried,
        },
      );
    }
  }
  return result(info, 'BLOCKED', `none of ${tried.length} spellings answered the value`, {
    notes: tried,
  });
}

/** The red team asks the queue for a task holding the secret's scope (no escalation, S4). */
async function harvestThroughTask(
  context: ExerciseContext,
  info: AttackInfo,
  name: string,
): Promise<AttackResult> {
  const taskId = taskcluster.slugid();
  const body = taskDefinition(context, {
    name: 'ask for the victim secret scope',
    script: 'true',
    scopes: [`secrets:get:${name}`],
  });
  const path = apiPath(context.rootUrl, 'queue', `/task/${taskId}`);
  const answer = await rawRequest(context.rootUrl, {
    method: 'PUT',
    path,
    body,
    signWith: context.redTeam,
  });
  return refusalVerdict(
    info,
    `PUT ${path} with scopes [secrets:get:${name}]`,
    answer,
    'creating the task',
  );
}
