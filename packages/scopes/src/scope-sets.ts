import { patternMatch, satisfiesScope } from './satisfaction.js';
import { scopeCompare, sortAndNormalize } from './scope-order.js';

/**
 * Merges two sorted and normalized scope sets into a new sorted and normalized set,
 * dropping every scope satisfied by a star scope already emitted. Linear in the total size.
 */
export function mergeScopeSets(a: readonly string[], b: readonly string[]): string[] {
  const result: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let scope: string;
    if (j >= b.length) {
      scope = a[i++]!;
    } else if (i >= a.length) {
      scope = b[j++]!;
    } else {
      const fromA = a[i]!;
      const fromB = b[j]!;
      const order = scopeCompare(fromA, fromB);
      if (order === 0) {
        scope = fromA;
        i++;
        j++;
      } else if (order < 0) {
        scope = fromA;
        i++;
      } else {
        scope = fromB;
        j++;
      }
    }
    result.push(scope);
    if (scope.endsWith('*')) {
      const prefix = scope.slice(0, -1);
      while (i < a.length && a[i]!.startsWith(prefix)) i++;
      while (j < b.length && b[j]!.startsWith(prefix)) j++;
    }
  }
  return result;
}

/** The union of two arbitrary scope sets, sorted and normalized. Neither input is modified. */
export function scopeUnion(a: readonly string[], b: readonly string[]): string[] {
  return mergeScopeSets(sortAndNormalize(a), sortAndNormalize(b));
}

/**
 * The scopes of each set that the other set satisfies, sorted and normalized: a set that
 * satisfies a scope exactly when both inputs do (for scopes without a `**` suffix, where
 * satisfaction is transitive). Neither input is modified.
 */
export function scopeIntersection(a: readonly string[], b: readonly string[]): string[] {
  return sortAndNormalize([
    ...a.filter((scope) => satisfiesScope(b, scope)),
    ...b.filter((scope) => a.some((pattern) => patternMatch(pattern, scope))),
  ]);
}
