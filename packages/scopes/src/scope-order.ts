/**
 * Ordering and normalization of scope sets.
 *
 * Scopes sort in ordinary string order except that a trailing `*` counts as a character
 * below the end of the string: `P*` sorts immediately before `P`, which sorts before
 * everything else that starts with `P`. So a star scope always comes before every scope
 * it satisfies, and those scopes follow it contiguously, which is what lets normalization
 * and merging work in a single linear pass.
 */
export function scopeCompare(a: string, b: string): number {
  const aStar = a.endsWith('*');
  const bStar = b.endsWith('*');
  const aLength = aStar ? a.length - 1 : a.length;
  const bLength = bStar ? b.length - 1 : b.length;
  const common = Math.min(aLength, bLength);
  for (let i = 0; i < common; i++) {
    const difference = a.charCodeAt(i) - b.charCodeAt(i);
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  if (aLength !== bLength) return aLength < bLength ? -1 : 1;
  if (aStar === bStar) return 0;
  return aStar ? -1 : 1;
}

/**
 * Removes duplicates and every scope satisfied by a star scope of the set. The input must
 * already be sorted with `scopeCompare`; the output is then sorted too, and no scope in it
 * satisfies another.
 */
export function normalizeScopeSet(sortedScopes: readonly string[]): string[] {
  const result: string[] = [];
  let i = 0;
  while (i < sortedScopes.length) {
    const scope = sortedScopes[i++]!;
    result.push(scope);
    while (i < sortedScopes.length && sortedScopes[i] === scope) i++;
    if (scope.endsWith('*')) {
      const prefix = scope.slice(0, -1);
      while (i < sortedScopes.length && sortedScopes[i]!.startsWith(prefix)) i++;
    }
  }
  return result;
}

/** Sorts a copy of `scopes` with `scopeCompare` and normalizes it. */
export function sortAndNormalize(scopes: readonly string[]): string[] {
  return normalizeScopeSet([...scopes].sort(scopeCompare));
}
