// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { roleMatches } from './naive-expansion.js';
import type { Role } from './role-errors.js';
import { DependencyCycleError, InvalidScopeError } from './role-errors.js';
import { validateRoles } from './role-validation.js';
import { roleSet } from './testing/arbitraries.js';
import { thrownBy } from './testing/thrown.js';

const role = (roleId: string, ...scopes: string[]): Role => ({ roleId, scopes });

/** Runs validateRoles on many orderings of the roles, which must all agree. */
function validationOutcome(roles: readonly Role[]): 'valid' | 'cycle' | 'invalid-scope' {
  const outcomes = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const shuffled = [...roles].sort(() => Math.random() - 0.5);
    try {
      validateRoles(shuffled);
      outcomes.add('valid');
    } catch (error) {
      if (error instanceof DependencyCycleError) outcomes.add('cycle');
      else if (error instanceof InvalidScopeError) outcomes.add('invalid-scope');
      else throw error;
    }
  }
  assert.equal(outcomes.size, 1, `outcome depends on order: ${[...outcomes].join(', ')}`);
  return [...outcomes][0] as 'valid' | 'cycle' | 'invalid-scope';
}

test('acyclic role sets are valid', () => {
  const sets: [string, Role[]][] = [
    ['no roles', []],
    ['independent roles', [role('a', 'A'), role('b', 'B'), role('c', 'C')]],
    ['a DAG', [role('a', 'assume:c'), role('b', 'assume:c'), role('c', 'assume:e')]],
    [
      'a DAG of star roles',
      [role('a*', 'assume:c'), role('b*', 'assume:c'), role('c*', 'assume:e')],
    ],
    [
      'a chain',
      [
        role('abc', 'assume:def'),
        role('def', 'assume:ghi'),
        role('ghi', 'assume:jkl'),
        role('jkl', 'assume:abcd'),
      ],
    ],
    [
      'star roles pointing around',
      [
        role('abc', 'assume:d*'),
        role('def', 'assume:ghi'),
        role('g*', 'assume:jkl'),
        role('jkl', 'assume:ab'),
      ],
    ],
    [
      'parameterized scopes',
      [
        role(
          'a*',
          'assume:b',
          'assume:b*',
          'assume:b<..>',
          'assume:b<..>*',
          'assume:b<..>c',
          'assume:b<..>c*',
        ),
      ],
    ],
    [
      'a parameterized DAG',
      [role('a*', 'assume:c<..>A'), role('b*', 'assume:c<..>B*'), role('c*', 'assume:e<..>')],
    ],
    [
      'parameters flowing on',
      [role('bb*', 'assume:cd<..>'), role('cde*', 'assume:de<..>x'), role('d*', 'assume:b')],
    ],
    ['a star before the parameter, not at the end', [role('a*', 'assume:b*<..>c')]],
    [
      '<..> is literal in roles without a trailing star',
      [role('a', 'x<..><..>', 'y*<..>', 'assume:a<..>')],
    ],
    ['a scope with <..> in the role id', [role('a<..>*', 'b<..>')]],
  ];
  for (const [title, roles] of sets) {
    assert.equal(validationOutcome(roles), 'valid', title);
  }
});

test('cycles are refused, assuming every <..> could be *', () => {
  const sets: [string, Role[]][] = [
    ['a role assuming itself', [role('abc', 'assume:abc')]],
    ['a role assuming a star scope covering itself', [role('abc', 'assume:ab*')]],
    ['a star role matching its own scope', [role('ab*', 'assume:abc')]],
    ['a star role matching its own star scope', [role('ab*', 'assume:abc*')]],
    ['a role holding *', [role('root', '*')]],
    ['a role holding assume:*', [role('admin', 'assume:*')]],
    ['three plain roles', [role('a', 'assume:c'), role('b', 'assume:c'), role('c', 'assume:a')]],
    ['three star roles', [role('a*', 'assume:c'), role('b*', 'assume:c'), role('c*', 'assume:a')]],
    ['parameterized, no suffix', [role('a*', 'assume:ab<..>')]],
    ['parameterized, with a suffix', [role('a*', 'assume:a<..>x')]],
    ['parameterized, prefix and suffix', [role('a*', 'assume:ab<..>x')]],
    ['two parameterized roles', [role('a*', 'assume:b<..>x'), role('b*', 'assume:a<..>')]],
    [
      'scope is a prefix of the role',
      [role('a*', 'assume:b<..>x'), role('bstuff*', 'assume:a<..>')],
    ],
    [
      'role is a prefix of the scope',
      [role('a*', 'assume:bstuff<..>x'), role('b*', 'assume:a<..>')],
    ],
    ['a partial assume: prefix', [role('b*', 'as<..>')]],
    [
      'through a plain role',
      [role('a*', 'assume:c<..>A'), role('b*', 'assume:c<..>B*'), role('c*', 'assume:b')],
    ],
    [
      'through parameters',
      [role('a*', 'assume:c<..>A'), role('b*', 'assume:c<..>B*'), role('c*', 'assume:a<..>')],
    ],
    ['a parameter covering everything', [role('a*', 'assume:c<..>A'), role('c*', 'assume:<..>')]],
    [
      'a fixed point is still a cycle',
      [role('b*', 'assume:cd<..>'), role('cde*', 'assume:de<..>x'), role('d*', 'assume:bx')],
    ],
  ];
  for (const [title, roles] of sets) {
    assert.equal(validationOutcome(roles), 'cycle', title);
  }
});

test('DependencyCycleError names the roles along the cycle', () => {
  const roles = [
    role('x', 'assume:a'),
    role('a', 'assume:b'),
    role('b*', 'assume:c'),
    role('c', 'assume:bz'),
    role('z', 'Z'),
  ];
  const error = thrownBy(() => validateRoles(roles));
  assert.ok(error instanceof DependencyCycleError);
  assert.equal(error.cycle[0], error.cycle[error.cycle.length - 1]);
  assert.deepEqual(new Set(error.cycle), new Set(['b*', 'c']));
  assert.match(error.message, /b\* -> c -> b\*|c -> b\* -> c/);
  assert.equal(error.name, 'DependencyCycleError');

  const self = thrownBy(() => validateRoles([role('abc', 'assume:abc')]));
  assert.ok(self instanceof DependencyCycleError);
  assert.deepEqual(self.cycle, ['abc', 'abc']);
});

test('malformed parameterized scopes are refused with InvalidScopeError', () => {
  const cases: [Role, string][] = [
    [role('a*', 'assume:b*<..>'), 'assume:b*<..>'],
    [role('a*', 'bc*<..>'), 'bc*<..>'],
    [role('a*', '*<..>'), '*<..>'],
    [role('a*', 'assume:b<..>c<..>'), 'assume:b<..>c<..>'],
    [role('a*', 'assume:b<..><..>'), 'assume:b<..><..>'],
    [role('a*', 'assume:b<..>c<..>d'), 'assume:b<..>c<..>d'],
    [role('a*', 'ok', 'b<..>c<..>d<..>'), 'b<..>c<..>d<..>'],
  ];
  for (const [bad, scope] of cases) {
    const error = thrownBy(() => validateRoles([role('z', 'Z'), bad]));
    assert.ok(error instanceof InvalidScopeError);
    assert.equal(error.scope, scope);
    assert.equal(error.name, 'InvalidScopeError');
  }
});

test('invalid scopes and role ids are refused with InvalidScopeError', () => {
  const cases: [Role, string][] = [
    [role('a', 'ok', 'bad\nscope'), 'bad\nscope'],
    [role('a', 'caf\u00e9'), 'caf\u00e9'],
    [{ roleId: 'a', scopes: [42] } as unknown as Role, '42'],
    [role(''), 'assume:'],
    [role('a\tb'), 'assume:a\tb'],
  ];
  for (const [bad, scope] of cases) {
    const error = thrownBy(() => validateRoles([bad]));
    assert.ok(error instanceof InvalidScopeError);
    assert.equal(error.scope, scope);
  }
});

test('long chains validate without exhausting the stack', () => {
  const length = 20_000;
  const roles = Array.from({ length }, (_, i) => role(`ch-${i}`, `assume:ch-${i + 1}`));
  validateRoles(roles);
  roles.push(role(`ch-${length}`, 'assume:ch-0'));
  assert.throws(() => validateRoles(roles), DependencyCycleError);
});

/** Widest grant of a role scope, as the rules say: `<..>` in star roles filled with `*`. */
function widest(roleId: string, scope: string): string {
  const at = scope.indexOf('<..>');
  return roleId.endsWith('*') && at >= 0 ? `${scope.slice(0, at)}*` : scope;
}

/** Whether the dependency graph has a cycle, by checking every role against every other. */
function hasCycleByBruteForce(roles: readonly Role[]): boolean {
  const edges = roles.map((from) =>
    roles.flatMap((to, index) =>
      from.scopes.some((scope) => roleMatches(to.roleId, widest(from.roleId, scope)))
        ? [index]
        : [],
    ),
  );
  // A cycle exists if some role reaches itself.
  return roles.some((_, start) => {
    const seen = new Set<number>();
    const pending = [...edges[start]!];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      if (next === start) return true;
      if (seen.has(next)) continue;
      seen.add(next);
      pending.push(...edges[next]!);
    }
    return false;
  });
}

function hasMalformedTemplate(roles: readonly Role[]): boolean {
  return roles.some(
    (r) =>
      r.roleId.endsWith('*') &&
      r.scopes.some((scope) => scope.split('<..>').length > 2 || scope.endsWith('*<..>')),
  );
}

test('property: validateRoles finds a cycle exactly when brute force does', () => {
  fc.assert(
    fc.property(roleSet, (roles) => {
      const outcome = validationOutcome(roles);
      if (hasMalformedTemplate(roles)) {
        assert.equal(outcome, 'invalid-scope');
      } else {
        assert.equal(outcome, hasCycleByBruteForce(roles) ? 'cycle' : 'valid');
      }
      if (outcome === 'cycle') {
        const error = thrownBy(() => validateRoles(roles));
        assert.ok(error instanceof DependencyCycleError);
        const { cycle } = error;
        assert.equal(cycle[0], cycle[cycle.length - 1]);
        for (let i = 0; i + 1 < cycle.length; i++) {
          const from = roles.find((r) => r.roleId === cycle[i])!;
          assert.ok(
            from.scopes.some((scope) => roleMatches(cycle[i + 1]!, widest(from.roleId, scope))),
          );
        }
      }
    }),
    { numRuns: 500 },
  );
});
