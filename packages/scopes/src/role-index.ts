import { afterPrefix, beforeSuffix } from './grant-trie-shifts.js';
import type { GrantNode } from './grant-trie.js';
import { collectGrants, EMPTY_NODE, leafNode, mergeTries, trieAt } from './grant-trie.js';
import { LruCache } from './lru-cache.js';
import type { Role } from './role-errors.js';
import { PARAMETER_MARK } from './role-parameter.js';
import type { RoleRule } from './role-rules.js';
import { ASSUME_PREFIX } from './role-rules.js';
import { rulesInDependencyOrder } from './role-validation.js';
import { ScopeCollector } from './scope-collector.js';
import { sortAndNormalize } from './scope-order.js';
import { mergeScopeSets } from './scope-sets.js';

const DEFAULT_CACHE_ENTRIES = 10_000;

/**
 * Whether a scope can match any role: `assume:...`, or a star scope whose prefix is a
 * prefix of `assume:` (`*`, `a*`, ..., `assume*`), which matches every role.
 */
function mayAssumeRoles(scope: string): boolean {
  return (
    scope.startsWith(ASSUME_PREFIX) ||
    (scope.endsWith('*') && ASSUME_PREFIX.startsWith(scope.slice(0, -1)))
  );
}

/**
 * The node for one role, given a trie that already holds every role it can lead to: its
 * scopes together with everything they expand to. Parameterized scopes cannot be expanded
 * in advance, so the node instead carries a trie that reads the parameter (the rest of the
 * assumed role id, which the walk reads below this node) and grants what the filled scope
 * expands to.
 */
function nodeForRule(dependencies: GrantNode, rule: RoleRule): GrantNode {
  const granted = new ScopeCollector();
  granted.add(rule.fixedScopes);
  for (const scope of rule.fixedScopes) collectGrants(dependencies, scope, granted);
  let node = rule.isPrefixRule
    ? leafNode({ onReach: granted.result(), onReachFilled: rule.templates })
    : leafNode({ onEnd: granted.result() });
  for (const template of rule.templates) {
    const at = template.indexOf(PARAMETER_MARK);
    const head = template.slice(0, at);
    const tail = template.slice(at + 1);
    let consequences = head === '' ? dependencies : afterPrefix(dependencies, head);
    if (tail !== '') consequences = beforeSuffix(consequences, tail);
    node = mergeTries(node, consequences);
  }
  return node;
}

/**
 * The trie granting, for each input scope, everything it leads to through the roles.
 * Roles are inserted in dependency order, each computed against the trie of the roles
 * it can lead to. Throws like `validateRoles`.
 */
export function buildGrantTrie(roles: readonly Role[]): GrantNode {
  let root = EMPTY_NODE;
  for (const rule of rulesInDependencyOrder(roles)) {
    root = mergeTries(root, trieAt(rule.key, nodeForRule(root, rule)));
  }
  return root;
}

/**
 * Role expansion for one version of the role set. Building orders the roles by dependency
 * and inserts each into a trie of `assume:<roleId>` patterns holding the complete closure
 * of what it grants, so that expanding scopes is one walk per `assume:` scope with no
 * fixed-point iteration. Instances are immutable apart from caches: a bounded cache of
 * results, and each trie node's wildcard grants, computed on first use because most nodes
 * are never the end of a wildcard input.
 */
export class RoleIndex {
  private readonly cache: LruCache<string, readonly string[]>;

  private constructor(
    private readonly root: GrantNode,
    readonly size: number,
    cacheEntries: number,
  ) {
    this.cache = new LruCache(cacheEntries);
  }

  /**
   * Validates the roles (throwing InvalidScopeError or DependencyCycleError, like
   * `validateRoles`) and precomputes their expansion. `cacheEntries` bounds the cache of
   * expansion results (0 disables it).
   */
  static build(roles: readonly Role[], options: { cacheEntries?: number } = {}): RoleIndex {
    const root = buildGrantTrie(roles);
    return new RoleIndex(root, roles.length, options.cacheEntries ?? DEFAULT_CACHE_ENTRIES);
  }

  /**
   * The scopes together with everything they grant through roles, recursively: sorted,
   * normalized, and always satisfying every input scope.
   */
  expand(scopes: readonly string[]): string[] {
    const input = sortAndNormalize(scopes);
    const assumed = input.filter(mayAssumeRoles);
    if (assumed.length === 0) return input;
    // JSON keeps the key unambiguous even for scopes containing a separator character.
    const key = JSON.stringify(assumed);
    let granted = this.cache.get(key);
    if (granted === undefined) {
      const collector = new ScopeCollector();
      for (const scope of assumed) collectGrants(this.root, scope, collector);
      granted = collector.result();
      this.cache.set(key, granted);
    }
    return mergeScopeSets(input, granted);
  }
}
