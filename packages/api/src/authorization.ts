import {
  removeGivenScopes,
  renderTemplate,
  satisfiesExpression,
  templateParameters,
  type ScopeExpression,
  type ScopeTemplate,
} from '@bulwark/scopes';
import { ApiError } from './errors.js';
import type { Caller } from './endpoint.js';

/**
 * Renders the endpoint's template and checks the caller against it. A template that
 * renders to nothing requires nothing. On failure the error names both the whole
 * expression and the part the caller is missing, as Taskcluster's does.
 */
export function authorizeCaller(
  caller: Caller,
  template: ScopeTemplate,
  params: Readonly<Record<string, unknown>>,
): void {
  let expression: ScopeExpression | null;
  try {
    expression = renderTemplate(template, params);
  } catch (err) {
    // A template that cannot be rendered is a declaration bug; refuse rather than guess.
    throw new Error(`scope template could not be rendered: ${(err as Error).message}`);
  }
  if (expression === null) return;
  if (satisfiesExpression(caller.scopes, expression)) return;
  throw insufficientScopes(caller, expression);
}

export function insufficientScopes(caller: Caller, required: ScopeExpression): ApiError {
  const unsatisfied = removeGivenScopes(caller.scopes, required);
  return new ApiError(
    'InsufficientScopes',
    [
      `Client ID ${caller.clientId} does not have sufficient scopes and is missing the following scopes:`,
      '',
      '```',
      JSON.stringify(unsatisfied, null, 2),
      '```',
      '',
      'This request requires the client to satisfy the following scope expression:',
      '',
      '```',
      JSON.stringify(required, null, 2),
      '```',
    ].join('\n'),
    { required, unsatisfied },
  );
}

/**
 * Whether the template can be checked from URL parameters alone, before the
 * handler runs. Decided once per endpoint at declaration time.
 */
export function isAuthorizableFromRoute(
  template: ScopeTemplate,
  routeParams: ReadonlySet<string>,
): boolean {
  for (const name of templateParameters(template)) {
    if (!routeParams.has(name)) return false;
  }
  return true;
}
