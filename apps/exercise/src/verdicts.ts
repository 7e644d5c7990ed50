import type { RawAnswer } from './raw-request.js';
import type { AttackResult, Evidence, Verdict } from './types.js';

/** An attack's identity, filled in with a verdict by the helpers below. */
export interface AttackInfo {
  goal: number;
  id: string;
  title: string;
  invariants: string[];
}

export function result(
  info: AttackInfo,
  verdict: Verdict,
  reason: string,
  evidence: Evidence = {},
): AttackResult {
  return { ...info, verdict, reason, evidence };
}

/**
 * The verdict for an API request the red team must not be allowed: refused for want of
 * authentication or scopes is BLOCKED; a success is BREACHED; anything else (a 404
 * before any scope check, a 5xx) decides nothing.
 */
export function refusalVerdict(
  info: AttackInfo,
  request: string,
  answer: RawAnswer,
  what: string,
): AttackResult {
  const evidence: Evidence = {
    request,
    status: answer.status,
    ...(answer.code ? { code: answer.code } : {}),
  };
  if (answer.status === 401 || answer.status === 403) {
    return result(
      info,
      'BLOCKED',
      `${what} was refused (${answer.status} ${answer.code ?? ''})`.trim(),
      evidence,
    );
  }
  if (answer.status >= 200 && answer.status < 300) {
    return result(info, 'BREACHED', `${what} was accepted (${answer.status})`, evidence);
  }
  return result(
    info,
    'INCONCLUSIVE',
    `${what} got ${answer.status} ${answer.code ?? ''}: neither accepted nor refused for authorization`.trim(),
    { ...evidence, notes: [answer.body.slice(0, 300)] },
  );
}

/** An attack that could not be tried (set-up missing, the deployment did not answer). */
export function inconclusive(
  info: AttackInfo,
  reason: string,
  evidence: Evidence = {},
): AttackResult {
  return result(info, 'INCONCLUSIVE', reason, evidence);
}
