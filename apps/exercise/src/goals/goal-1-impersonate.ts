import { randomBytes } from 'node:crypto';
import { certificate } from '../hawk-signer.js';
import { apiPath, rawRequest, signRequest } from '../raw-request.js';
import { inconclusive, refusalVerdict, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, ExerciseContext, Goal } from '../types.js';

const attack = (id: string, title: string, invariants: string[]): AttackInfo => ({
  goal: 1,
  id: `1.${id}`,
  title,
  invariants,
});

/**
 * Goal 1: make an API request as another client. The target of every request is one
 * the victim may make and the red team may not: reading the victim's secret (with
 * `--as`, where there is no victim, the well-known admin client and its scopes).
 */
export const goal1: Goal = {
  number: 1,
  title: 'Make an API request as another client',
  implemented: true,
  async run(context) {
    const victimId = context.victims?.client.clientId ?? 'static/root';
    const target = context.victims
      ? apiPath(
          context.rootUrl,
          'secrets',
          `/secret/${encodeURIComponent(context.victims.secretName)}`,
        )
      : apiPath(context.rootUrl, 'auth', '/clients/');
    const describe = (who: string): string => `GET ${target} signed as ${who}`;
    const results: AttackResult[] = [];

    // A guessed key: the victim's id with a token the red team made up.
    const guessed = attack('forged-key', 'Hawk header for the victim with a guessed key', [
      'S4',
      'S13',
    ]);
    const forged = await rawRequest(context.rootUrl, {
      method: 'GET',
      path: target,
      signWith: { clientId: victimId, accessToken: randomBytes(33).toString('base64url') },
    });
    results.push(
      refusalVerdict(
        guessed,
        describe(`${victimId} with a guessed key`),
        forged,
        'a forged request',
      ),
    );

    results.push(await replay(context, target));
    results.push(await retarget(context, target));

    // A certificate that claims the victim issued it, signed with the red team's own key.
    const spoof = attack('issuer-spoofing', 'temporary credentials claiming the victim as issuer', [
      'S4',
    ]);
    const spoofed = certificate({
      signingKey: context.redTeam.accessToken,
      scopes: ['*'],
      clientId: `${context.redTeam.clientId}/spoofed`,
      issuer: victimId,
    });
    const spoofAnswer = await rawRequest(context.rootUrl, {
      method: 'GET',
      path: target,
      signWith: {
        clientId: `${context.redTeam.clientId}/spoofed`,
        accessToken: spoofed.temporaryKey,
        ext: { certificate: spoofed.certificate },
      },
    });
    results.push(
      refusalVerdict(
        spoof,
        describe(`a certificate claiming issuer ${victimId}`),
        spoofAnswer,
        'a spoofed issuer',
      ),
    );

    // Named temporary credentials that take the victim's name.
    const named = attack('named-as-victim', 'named temporary credentials with the victim’s name', [
      'S4',
    ]);
    const namedCert = certificate({
      signingKey: context.redTeam.accessToken,
      scopes: [],
      clientId: victimId,
      issuer: context.redTeam.clientId,
    });
    const namedAnswer = await rawRequest(context.rootUrl, {
      method: 'GET',
      path: target,
      signWith: {
        clientId: victimId,
        accessToken: namedCert.temporaryKey,
        ext: { certificate: namedCert.certificate },
      },
    });
    results.push(
      refusalVerdict(
        named,
        describe(`temporary credentials named ${victimId}`),
        namedAnswer,
        'a borrowed name',
      ),
    );

    // Temporary credentials wider than their issuer: every scope.
    const wider = attack('temporary-wider', 'temporary credentials wider than the issuer', ['S4']);
    const wide = certificate({ signingKey: context.redTeam.accessToken, scopes: ['*'] });
    const wideAnswer = await rawRequest(context.rootUrl, {
      method: 'GET',
      path: target,
      signWith: {
        ...context.redTeam,
        accessToken: wide.temporaryKey,
        ext: { certificate: wide.certificate },
      },
    });
    results.push(
      refusalVerdict(
        wider,
        describe('red-team temporary credentials with scope *'),
        wideAnswer,
        'a widened certificate',
      ),
    );

    // Temporary credentials issued by temporary credentials: the outer certificate is
    // signed with the inner one's key, which only the inner one's holder knows.
    const nested = attack('nested-temporary', 'temporary credentials issued with temporary ones', [
      'S4',
    ]);
    const inner = certificate({ signingKey: context.redTeam.accessToken, scopes: [] });
    const outer = certificate({ signingKey: inner.temporaryKey, scopes: ['*'] });
    const nestedAnswer = await rawRequest(context.rootUrl, {
      method: 'GET',
      path: target,
      signWith: {
        ...context.redTeam,
        accessToken: outer.temporaryKey,
        ext: { certificate: outer.certificate },
      },
    });
    results.push(
      refusalVerdict(
        nested,
        describe('temporary credentials signed with the key of other temporary ones'),
        nestedAnswer,
        'a nested certificate',
      ),
    );

    // authorizedScopes naming scopes the red team does not hold.
    const widen = attack(
      'authorized-scopes-widening',
      'authorizedScopes wider than the credentials',
      ['S4'],
    );
    const widenAnswer = await rawRequest(context.rootUrl, {
      method: 'GET',
      path: target,
      signWith: { ...context.redTeam, ext: { authorizedScopes: ['*'] } },
    });
    results.push(
      refusalVerdict(
        widen,
        describe('the red team with authorizedScopes [*]'),
        widenAnswer,
        'widened authorizedScopes',
      ),
    );
    return results;
  },
};

/**
 * A captured request sent again: the victim (or, with `--as`, the red team itself, since
 * replay protection does not depend on who signed) makes a request that authenticates,
 * and the very same bytes are sent a second time. Authenticated means 200, or 403 (the
 * signature passed and only a scope was missing); the replay must get 401.
 */
async function replay(context: ExerciseContext, victimTarget: string): Promise<AttackResult> {
  const info = attack('replay', 'a captured request replayed', ['S13']);
  const signer = context.victims?.client ?? context.redTeam;
  const path = context.victims ? victimTarget : apiPath(context.rootUrl, 'auth', '/clients/');
  const captured = signRequest(context.rootUrl, 'GET', path, signer);
  const request = `GET ${path} replayed with ${signer.clientId}'s captured header`;
  const first = await rawRequest(context.rootUrl, { method: 'GET', path, authorization: captured });
  if (first.status !== 200 && first.status !== 403) {
    return inconclusive(info, `the original request did not authenticate (${first.status})`, {
      request: `GET ${path} signed as ${signer.clientId}`,
      status: first.status,
    });
  }
  const again = await rawRequest(context.rootUrl, { method: 'GET', path, authorization: captured });
  const evidence = { request, status: again.status, ...(again.code ? { code: again.code } : {}) };
  if (again.status === 401) {
    return result(
      info,
      'BLOCKED',
      `the replay was refused (401 ${again.code ?? ''})`.trim(),
      evidence,
    );
  }
  if (again.status === first.status) {
    return result(
      info,
      'BREACHED',
      `the replay authenticated as the original did (${again.status})`,
      evidence,
    );
  }
  return inconclusive(
    info,
    `the replay got ${again.status}, the original ${first.status}`,
    evidence,
  );
}

/** A header signed for one path (one the victim may use) sent to another. */
async function retarget(context: ExerciseContext, target: string): Promise<AttackResult> {
  const info = attack('retargeted', 'a signed header sent to another path', ['S13', 'S4']);
  const signer = context.victims?.client ?? context.redTeam;
  const signedFor = apiPath(
    context.rootUrl,
    'auth',
    `/clients/${encodeURIComponent(signer.clientId)}`,
  );
  const header = signRequest(context.rootUrl, 'GET', signedFor, signer);
  const answer = await rawRequest(context.rootUrl, {
    method: 'GET',
    path: target,
    authorization: header,
  });
  return refusalVerdict(
    info,
    `GET ${target} with ${signer.clientId}'s header signed for ${signedFor}`,
    answer,
    'the re-targeted header',
  );
}
