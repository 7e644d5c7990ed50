import { hasDoubleStarSuffix } from '@bulwark/scopes';
import { inputError } from '@bulwark/api';

/**
 * Scopes ending in `**` are refused: `a:**` satisfies `a:*`, so delegating it would
 * widen what the holder can grant (S4).
 */
export function rejectDoubleStars(scopes: readonly string[]): void {
  const bad = scopes.find(hasDoubleStarSuffix);
  if (bad !== undefined) throw inputError(`scopes must not end with **: ${JSON.stringify(bad)}`);
}

/**
 * `static/` clients are managed by the deployment, never through the API; `login:` names
 * belong to people's sign-ins (D37), which would refuse such a client anyway.
 */
export function rejectStaticClient(clientId: string): void {
  if (clientId.startsWith('static/')) {
    throw inputError(`clientId ${clientId} starts with static/ and is managed by the deployment`);
  }
  if (clientId.startsWith('login:')) {
    throw inputError(`clientId ${clientId} starts with login:, which names sign-ins only`);
  }
}
