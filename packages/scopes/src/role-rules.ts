import type { Role } from './role-errors.js';
import { InvalidScopeError } from './role-errors.js';
import { fillParameter, PARAMETER_MARK, ROLE_PARAMETER } from './role-parameter.js';
import { sortAndNormalize } from './scope-order.js';
import { isValidScope } from './validity.js';

/**
 * A role as a rewriting rule over scopes: a scope matching `pattern` (`assume:<roleId>`)
 * is granted the role's scopes.
 */
export interface RoleRule {
  readonly roleId: string;
  /**
   * `assume:<roleId>` without the role id's trailing `*`, if any: the path of the rule in
   * a trie of patterns.
   */
  readonly key: string;
  /** Whether the role id ends in `*`, so that the rule matches every scope starting with `key`. */
  readonly isPrefixRule: boolean;
  /** Scopes granted as they are, sorted and normalized. */
  readonly fixedScopes: readonly string[];
  /**
   * Scopes of a prefix rule containing `<..>`, with it replaced by PARAMETER_MARK, sorted
   * and normalized. Always empty for other rules, whose `<..>` is literal text.
   */
  readonly templates: readonly string[];
}

export const ASSUME_PREFIX = 'assume:';

function roleIdIsValid(roleId: unknown): roleId is string {
  return typeof roleId === 'string' && roleId.length > 0 && isValidScope(roleId);
}

/** Turns a role into a rule, or throws InvalidScopeError for an invalid id or scope. */
export function ruleFromRole(role: Role): RoleRule {
  const { roleId } = role;
  if (!roleIdIsValid(roleId)) {
    throw new InvalidScopeError(
      `${ASSUME_PREFIX}${String(roleId)}`,
      'role ids must be non-empty printable ASCII',
    );
  }
  const isPrefixRule = roleId.endsWith('*');
  const fixed: string[] = [];
  const templates: string[] = [];
  for (const scope of role.scopes as readonly unknown[]) {
    if (!isValidScope(scope)) {
      throw new InvalidScopeError(String(scope), `role '${roleId}' has an invalid scope`);
    }
    const at = isPrefixRule ? scope.indexOf(ROLE_PARAMETER) : -1;
    if (at < 0) {
      fixed.push(scope);
      continue;
    }
    if (scope.indexOf(ROLE_PARAMETER, at + ROLE_PARAMETER.length) >= 0) {
      throw new InvalidScopeError(scope, `parameterized scope '${scope}' contains '<..>' twice`);
    }
    if (scope.endsWith(`*${ROLE_PARAMETER}`)) {
      throw new InvalidScopeError(
        scope,
        `parameterized scope '${scope}' ends with '*<..>', an ambiguous wildcard`,
      );
    }
    templates.push(scope.slice(0, at) + PARAMETER_MARK + scope.slice(at + ROLE_PARAMETER.length));
  }
  return {
    roleId,
    key: ASSUME_PREFIX + (isPrefixRule ? roleId.slice(0, -1) : roleId),
    isPrefixRule,
    fixedScopes: sortAndNormalize(fixed),
    templates: sortAndNormalize(templates),
  };
}

/**
 * The widest scopes the rule can grant: its templates filled with `*`, which stands for
 * every value the parameter can take. Used to find every rule this one may lead to.
 */
export function widestScopes(rule: RoleRule): string[] {
  return [...rule.fixedScopes, ...rule.templates.map((template) => fillParameter(template, '*'))];
}
