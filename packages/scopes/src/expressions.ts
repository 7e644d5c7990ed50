import { satisfiesScope } from './satisfaction.js';
import { sortAndNormalize } from './scope-order.js';
import { isValidScope } from './validity.js';

/**
 * A required-scopes expression: a scope, or all / any of several expressions.
 * `{AllOf: []}` is always satisfied and `{AnyOf: []}` never is.
 */
export type ScopeExpression = string | { AllOf: ScopeExpression[] } | { AnyOf: ScopeExpression[] };

/**
 * Deeper expressions are refused by `isScopeExpression`. Real expressions nest a few
 * levels; the bound keeps hostile input from exhausting the stack of the recursive
 * evaluators below.
 */
export const MAX_EXPRESSION_DEPTH = 100;

type Classified =
  | { kind: 'scope'; scope: string }
  | { kind: 'AllOf'; members: readonly ScopeExpression[] }
  | { kind: 'AnyOf'; members: readonly ScopeExpression[] }
  | { kind: 'invalid' };

/** Looks at one level of an expression that arrived untyped (for example from JSON). */
function classify(value: unknown): Classified {
  if (typeof value === 'string') return { kind: 'scope', scope: value };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'invalid' };
  }
  const keys = Object.keys(value);
  if (keys.length !== 1) return { kind: 'invalid' };
  const members: unknown = (value as Record<string, unknown>)[keys[0]!];
  if (!Array.isArray(members)) return { kind: 'invalid' };
  if (keys[0] === 'AllOf') return { kind: 'AllOf', members: members as ScopeExpression[] };
  if (keys[0] === 'AnyOf') return { kind: 'AnyOf', members: members as ScopeExpression[] };
  return { kind: 'invalid' };
}

/** Whether `value` is a well-formed expression: objects have exactly one key, scopes are valid. */
export function isScopeExpression(value: unknown): value is ScopeExpression {
  const check = (node: unknown, depth: number): boolean => {
    if (depth > MAX_EXPRESSION_DEPTH) return false;
    const classified = classify(node);
    switch (classified.kind) {
      case 'scope':
        return isValidScope(classified.scope);
      case 'AllOf':
      case 'AnyOf':
        return classified.members.every((member) => check(member, depth + 1));
      case 'invalid':
        return false;
    }
  };
  return check(value, 0);
}

/** Whether the scope set satisfies the expression. Malformed expressions are never satisfied. */
export function satisfiesExpression(scopeset: readonly string[], expr: ScopeExpression): boolean {
  const classified = classify(expr);
  switch (classified.kind) {
    case 'scope':
      return satisfiesScope(scopeset, classified.scope);
    case 'AllOf':
      return classified.members.every((member) => satisfiesExpression(scopeset, member));
    case 'AnyOf':
      return classified.members.some((member) => satisfiesExpression(scopeset, member));
    case 'invalid':
      return false;
  }
}

/**
 * The required scopes that the scope set satisfies, sorted and normalized, or undefined
 * when the expression is not satisfied. Every satisfied branch of an AnyOf contributes
 * (picking one would be arbitrary); a failed AllOf contributes nothing.
 */
export function scopesSatisfying(
  scopeset: readonly string[],
  expr: ScopeExpression,
): string[] | undefined {
  const used: string[] = [];
  const visit = (node: ScopeExpression): boolean => {
    const classified = classify(node);
    switch (classified.kind) {
      case 'scope':
        if (!satisfiesScope(scopeset, classified.scope)) return false;
        used.push(classified.scope);
        return true;
      case 'AllOf': {
        const mark = used.length;
        for (const member of classified.members) {
          if (!visit(member)) {
            used.length = mark;
            return false;
          }
        }
        return true;
      }
      case 'AnyOf': {
        let satisfied = false;
        // Visit every branch, not just the first satisfied one, to collect all of them.
        for (const member of classified.members) satisfied = visit(member) || satisfied;
        return satisfied;
      }
      case 'invalid':
        return false;
    }
  };
  return visit(expr) ? sortAndNormalize(used) : undefined;
}

/**
 * The part of the expression that the scope set does not satisfy, or null when it is
 * satisfied; meant for error messages. Satisfied scopes disappear, an AllOf keeps its
 * unsatisfied members, a satisfied AnyOf disappears entirely, and an AllOf or AnyOf left
 * with a single member is replaced by that member.
 */
export function removeGivenScopes(
  scopeset: readonly string[],
  expr: ScopeExpression,
): ScopeExpression | null {
  const classified = classify(expr);
  switch (classified.kind) {
    case 'scope':
      return satisfiesScope(scopeset, classified.scope) ? null : classified.scope;
    case 'AllOf': {
      const missing = classified.members
        .map((member) => removeGivenScopes(scopeset, member))
        .filter((member) => member !== null);
      if (missing.length === 0) return null;
      return missing.length === 1 ? missing[0]! : { AllOf: missing };
    }
    case 'AnyOf': {
      const missing = classified.members.map((member) => removeGivenScopes(scopeset, member));
      if (missing.includes(null)) return null;
      const alternatives = missing as ScopeExpression[];
      return alternatives.length === 1 ? alternatives[0]! : { AnyOf: alternatives };
    }
    case 'invalid':
      throw new TypeError('removeGivenScopes expects a valid scope expression');
  }
}
