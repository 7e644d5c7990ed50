/** A role as far as expansion is concerned: holding `assume:<roleId>` grants `scopes`. */
export interface Role {
  roleId: string;
  scopes: readonly string[];
}

/**
 * A role scope that cannot be accepted: not a valid scope, or, in a role whose id ends in
 * `*`, a scope with `<..>` more than once or ending in `*<..>` (where the star would be
 * ambiguous between a literal and a wildcard). Also used for an invalid role id, reported
 * as the `assume:` scope naming it.
 */
export class InvalidScopeError extends Error {
  override readonly name = 'InvalidScopeError';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_INVALID_SCOPE';
  constructor(
    readonly scope: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Roles that grant each other in a cycle (assuming each `<..>` is filled with `*`, the
 * widest value it can take). `cycle` lists the role ids along the cycle, starting and
 * ending with the same id: `['a', 'b', 'a']`, or `['a', 'a']` for a role granting itself.
 */
export class DependencyCycleError extends Error {
  override readonly name = 'DependencyCycleError';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_ROLE_CYCLE';
  readonly cycle: string[];
  constructor(cycle: readonly string[]) {
    super(`roles may not form dependency cycles, found: ${cycle.join(' -> ')}`);
    this.cycle = [...cycle];
  }
}
