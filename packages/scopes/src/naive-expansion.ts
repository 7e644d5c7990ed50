import type { Role } from './role-errors.js';
import { validateRoles } from './role-validation.js';
import { patternMatch } from './satisfaction.js';
import { sortAndNormalize } from './scope-order.js';

/**
 * Role expansion computed straight from the rules, by repeating until nothing new
 * appears. Slow (every scope against every role), and meant as the reference that the
 * precomputed RoleIndex is tested against.
 */
export function expandScopesNaive(roles: readonly Role[], scopes: readonly string[]): string[] {
  // Cycles would make the loop below run forever; the role set must be valid anyway.
  validateRoles(roles);
  const found = new Set(scopes);
  const pending = [...found];
  for (let scope = pending.pop(); scope !== undefined; scope = pending.pop()) {
    for (const role of roles) {
      for (const granted of scopesGrantedByRole(role, scope)) {
        if (!found.has(granted)) {
          found.add(granted);
          pending.push(granted);
        }
      }
    }
  }
  return sortAndNormalize([...found]);
}

/** The scopes that holding `scope` gets from `role` directly. */
export function scopesGrantedByRole(role: Role, scope: string): readonly string[] {
  if (!role.roleId.endsWith('*')) {
    return roleMatches(role.roleId, scope) ? role.scopes : [];
  }
  const parameter = parameterFor(`assume:${role.roleId.slice(0, -1)}`, scope);
  if (parameter === undefined) return [];
  return role.scopes.map((roleScope) => fillRoleParameter(roleScope, parameter));
}

/** Whether holding `scope` grants the role with this id. */
export function roleMatches(roleId: string, scope: string): boolean {
  if (!roleId.endsWith('*')) {
    // A plain role is granted to `assume:<roleId>` and to star scopes covering it.
    return patternMatch(scope, `assume:${roleId}`);
  }
  return parameterFor(`assume:${roleId.slice(0, -1)}`, scope) !== undefined;
}

/**
 * How `scope` matches a role with id `<prefix minus assume:>*`, as the value of `<..>`:
 *  - a scope starting with the prefix matches, with the rest of the scope as the value
 *    (including its trailing `*`, if any);
 *  - a star scope `S*` whose S is a prefix of the role's prefix covers the whole role, and
 *    the value is `*`.
 * Undefined if the scope does not match.
 */
function parameterFor(prefix: string, scope: string): string | undefined {
  if (scope.endsWith('*')) {
    const covered = scope.slice(0, -1);
    if (prefix.startsWith(covered)) return '*';
    if (covered.startsWith(prefix)) return scope.slice(prefix.length);
    return undefined;
  }
  return scope.startsWith(prefix) ? scope.slice(prefix.length) : undefined;
}

/**
 * Replaces `<..>` with the value; a value ending in `*` replaces everything from `<..>` to
 * the end of the scope. Scopes without `<..>` are returned as they are.
 */
function fillRoleParameter(roleScope: string, value: string): string {
  const at = roleScope.indexOf('<..>');
  if (at < 0) return roleScope;
  const head = roleScope.slice(0, at);
  return value.endsWith('*') ? head + value : head + value + roleScope.slice(at + 4);
}
