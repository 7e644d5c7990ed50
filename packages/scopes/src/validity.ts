/**
 * A scope is any string of printable ASCII characters (0x20 to 0x7e); space is allowed,
 * other whitespace is not, and the empty string is a valid scope.
 */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export function isValidScope(scope: unknown): scope is string {
  return typeof scope === 'string' && PRINTABLE_ASCII.test(scope);
}

/**
 * Whether a scope ends with two or more stars. Such scopes are refused wherever scopes
 * are granted (clients, roles, tasks): `foo:**` satisfies `foo:*`, so accepting it would
 * let a holder of `foo:**` widen its grant when delegating.
 */
export function hasDoubleStarSuffix(scope: string): boolean {
  return scope.endsWith('**');
}
