import type { Role } from './role-errors.js';
import { DependencyCycleError } from './role-errors.js';
import type { RoleRule } from './role-rules.js';
import { ruleFromRole, widestScopes } from './role-rules.js';
import { RuleLookup } from './rule-lookup.js';

/**
 * Parses the roles and orders them so that every role comes after all the roles it can
 * lead to. Role R depends on role S if a scope of R, with `<..>` filled with `*`, matches
 * S; the widest filling is used so that the ordering holds for every actual parameter.
 * Throws InvalidScopeError for a bad scope and DependencyCycleError for a cycle (including
 * a role that matches itself).
 */
export function rulesInDependencyOrder(roles: readonly Role[]): RoleRule[] {
  const rules = roles.map(ruleFromRole);
  const lookup = new RuleLookup(rules);
  const dependenciesOf = (index: number): number[] => {
    const found = new Set<number>();
    for (const scope of widestScopes(rules[index]!)) {
      for (const dependency of lookup.rulesMatchedBy(scope)) found.add(dependency);
    }
    return [...found];
  };

  // Depth-first search with an explicit stack: chains of thousands of roles must not
  // exhaust the call stack.
  const NEW = 0;
  const IN_PROGRESS = 1;
  const DONE = 2;
  const state = new Uint8Array(rules.length);
  const ordered: RoleRule[] = [];
  for (let start = 0; start < rules.length; start++) {
    if (state[start] !== NEW) continue;
    state[start] = IN_PROGRESS;
    const stack = [{ index: start, dependencies: dependenciesOf(start), next: 0 }];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      if (frame.next === frame.dependencies.length) {
        state[frame.index] = DONE;
        ordered.push(rules[frame.index]!);
        stack.pop();
        continue;
      }
      const dependency = frame.dependencies[frame.next++]!;
      if (state[dependency] === DONE) continue;
      if (state[dependency] === IN_PROGRESS) {
        const from = stack.findIndex((entry) => entry.index === dependency);
        const cycle = [...stack.slice(from).map((entry) => entry.index), dependency];
        throw new DependencyCycleError(cycle.map((index) => rules[index]!.roleId));
      }
      state[dependency] = IN_PROGRESS;
      stack.push({ index: dependency, dependencies: dependenciesOf(dependency), next: 0 });
    }
  }
  return ordered;
}

/**
 * Checks a role set: every role id and scope valid, parameterized scopes well formed, and
 * no dependency cycles. Throws InvalidScopeError or DependencyCycleError.
 */
export function validateRoles(roles: readonly Role[]): void {
  rulesInDependencyOrder(roles);
}
