/**
 * Whether `pattern` grants `scope`. The only wildcard is a trailing `*`, which stands for
 * any suffix (including none); a `*` anywhere else is an ordinary character.
 *
 * Satisfaction is purely textual: `assume:` scopes are not expanded here, callers must
 * expand role scopes first.
 */
export function patternMatch(pattern: string, scope: string): boolean {
  if (scope === pattern) return true;
  return pattern.endsWith('*') && scope.startsWith(pattern.slice(0, -1));
}

/** Whether some scope of the set grants `scope`. */
export function satisfiesScope(scopeset: readonly string[], scope: string): boolean {
  return scopeset.some((pattern) => patternMatch(pattern, scope));
}
