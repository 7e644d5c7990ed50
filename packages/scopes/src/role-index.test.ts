// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { expandScopesNaive } from './naive-expansion.js';
import type { Role } from './role-errors.js';
import { DependencyCycleError, InvalidScopeError } from './role-errors.js';
import { RoleIndex } from './role-index.js';
import { sortAndNormalize } from './scope-order.js';

const role = (roleId: string, ...scopes: string[]): Role => ({ roleId, scopes });

type Vector = [title: string, roles: Role[], input: string[], expected: string[]];

const everyRole = [role('a', 'A'), role('b', 'B'), role('c', 'C')];

const vectors: Vector[] = [
  ['no roles: scopes pass through', [], ['a', 'b', 'c*'], ['a', 'b', 'c*']],
  ['input is normalized', [], ['a*', 'ab', 'ac*', 'a'], ['a*']],
  ['empty input', everyRole, [], []],
  ['a plain role', everyRole, ['assume:a'], ['A', 'assume:a']],
  ['a missing role', everyRole, ['assume:d'], ['assume:d']],
  [
    'exact match only',
    [role('a', 'A'), role('ab', 'AB'), role('abc', 'ABC')],
    ['assume:ab'],
    ['AB', 'assume:ab'],
  ],
  [
    'a star scope gets every role it covers',
    [role('a', 'A'), role('aa', 'AA'), role('ab', 'AB'), role('a*', 'ASTAR'), role('b', 'B')],
    ['assume:a*'],
    ['A', 'AA', 'AB', 'ASTAR', 'assume:a*'],
  ],
  [
    'ab* covers ab and abc',
    [role('a', 'A'), role('ab', 'AB'), role('abc', 'ABC')],
    ['assume:ab*'],
    ['AB', 'ABC', 'assume:ab*'],
  ],
  [
    'a star role applies to longer ids',
    [role('a*', 'ASTAR'), role('ab*', 'ABSTAR')],
    ['assume:a'],
    ['ASTAR', 'assume:a'],
  ],
  [
    'nested star roles',
    [role('ab*', 'ABSTAR'), role('a*', 'ASTAR')],
    ['assume:ab'],
    ['ABSTAR', 'ASTAR', 'assume:ab'],
  ],
  [
    'the * role applies to everything',
    [role('*', 'STAR'), role('a*', 'ASTAR')],
    ['assume:a'],
    ['ASTAR', 'STAR', 'assume:a'],
  ],
  [
    'a star scope reaches a shorter star role',
    [role('a*', 'ASTAR'), role('aabc', 'AABC')],
    ['assume:aa*'],
    ['AABC', 'ASTAR', 'assume:aa*'],
  ],
  [
    'only some star roles apply',
    [role('a*', 'ASTAR'), role('ab*', 'ABSTAR'), role('ac*', 'ACSTAR'), role('d', 'D')],
    ['assume:ab'],
    ['ABSTAR', 'ASTAR', 'assume:ab'],
  ],
  ['* expands to everything, which * covers', everyRole, ['*'], ['*']],
  ['a* matches every role', everyRole, ['a*'], ['A', 'B', 'C', 'a*']],
  ['as* matches every role', everyRole, ['as*'], ['A', 'B', 'C', 'as*']],
  ['assume* matches every role', everyRole, ['assume*'], ['A', 'B', 'C', 'assume*']],
  ['assume:* matches every role', everyRole, ['assume:*'], ['A', 'B', 'C', 'assume:*']],
  ['b* does not', everyRole, ['b*'], ['b*']],
  [':* does not', everyRole, [':*'], [':*']],
  [':assume* does not', everyRole, [':assume*'], [':assume*']],
  ['assume without a colon does not', everyRole, ['assume'], ['assume']],
  [
    'a literal star in the middle of a role id',
    [
      role('a', 'A'),
      role('a*b', 'ASTARB'),
      role('a*bc', 'ASTARBC'),
      role('ab', 'AB'),
      role('b*', 'BSTAR'),
      role('ab*', 'ABSTAR'),
    ],
    ['assume:a*b*'],
    ['ASTARB', 'ASTARBC', 'assume:a*b*'],
  ],
  [
    'a literal star, then a star role',
    [role('a*', 'ASTAR'), role('a*b', 'ASTARB'), role('a*bc', 'ASTARBC'), role('ab', 'AB')],
    ['assume:a*b'],
    ['ASTAR', 'ASTARB', 'assume:a*b'],
  ],
  [
    'recursion',
    [role('a', 'assume:b'), role('b', 'assume:c'), role('c', 'C')],
    ['assume:a'],
    ['C', 'assume:a', 'assume:b', 'assume:c'],
  ],
  [
    'a star scope in a role expands on',
    [role('top', 'assume:team:*'), role('team:x', 'X'), role('team:y', 'Y')],
    ['assume:top'],
    ['X', 'Y', 'assume:team:*', 'assume:top'],
  ],
  [
    'roles with the same id add up',
    [role('a', 'A'), role('a', 'B')],
    ['assume:a'],
    ['A', 'B', 'assume:a'],
  ],
  [
    'double stars: the first star is literal',
    [role('a*b', 'ASB'), role('ab', 'AB')],
    ['assume:a**'],
    ['ASB', 'assume:a**'],
  ],
  // Parameterized roles.
  [
    'the parameter is the rest of the id',
    [role('a*', 'A<..>')],
    ['assume:abc'],
    ['Abc', 'assume:abc'],
  ],
  ['a parameter with a suffix', [role('a*', 'A<..>X')], ['assume:abc'], ['AbcX', 'assume:abc']],
  ['an empty parameter', [role('a*', 'A<..>X')], ['assume:a'], ['AX', 'assume:a']],
  ['a star parameter', [role('a*', 'A<..>')], ['assume:abc*'], ['Abc*', 'assume:abc*']],
  [
    'a star parameter drops the suffix',
    [role('a*', 'A<..>X')],
    ['assume:abc*'],
    ['Abc*', 'assume:abc*'],
  ],
  [
    'a shorter star scope covers the role: the parameter is *',
    [role('abc*', 'ABC<..>DEF')],
    ['assume:a*'],
    ['ABC*', 'assume:a*'],
  ],
  [
    'the reference example',
    [role('project-admin:*', 'secrets:get:project/<..>/*')],
    ['assume:project-admin:zap'],
    ['assume:project-admin:zap', 'secrets:get:project/zap/*'],
  ],
  [
    'the reference example with a star',
    [role('project-admin:*', 'secrets:get:project/<..>/*')],
    ['assume:project-admin:ops*'],
    ['assume:project-admin:ops*', 'secrets:get:project/ops*'],
  ],
  [
    '<..> is literal in a role without a trailing star',
    [role('project-admin', 'secrets:get:project/<..>/*')],
    ['assume:project-admin'],
    ['assume:project-admin', 'secrets:get:project/<..>/*'],
  ],
  [
    'the parameter flows into further roles',
    [role('a*', 'assume:b<..>'), role('bc*', 'BC<..>')],
    ['assume:acd'],
    ['BCd', 'assume:acd', 'assume:bcd'],
  ],
  [
    'the parameter flows through a suffix',
    [role('a*', 'assume:b<..>x'), role('bq*', 'Q<..>'), role('bqx', 'EXACT')],
    ['assume:aq'],
    ['EXACT', 'Qx', 'assume:aq', 'assume:bqx'],
  ],
  [
    'a star parameter flows into further roles',
    [role('a*', 'assume:b<..>x'), role('bq*', 'Q<..>'), role('bqx', 'EXACT'), role('bz', 'Z')],
    ['assume:aq*'],
    ['EXACT', 'Q*', 'assume:aq*', 'assume:bq*'],
  ],
  [
    'a chain of parameterized roles',
    [
      role('a', 'START'),
      role('aaa*', 'bb<..>BB'),
      role('b*', 'ccc<..>*'),
      role('cc*', 'dd<..>C'),
      role('ddcbXBB', 'C'),
      role('dd*', 'eee<..>D*'),
    ].map((r) => ({ roleId: r.roleId, scopes: r.scopes.map((s) => `assume:${s}`) })),
    ['assume:aaaX'],
    [
      'assume:C',
      'assume:aaaX',
      'assume:bbXBB',
      'assume:cccbXBB*',
      'assume:ddcbXBB*',
      'assume:eeecbXBB*',
    ],
  ],
];

test('RoleIndex.expand vectors (and the naive expansion agrees)', () => {
  for (const [title, roles, input, expected] of vectors) {
    const sortedExpected = sortAndNormalize(expected);
    assert.deepEqual(sortedExpected, expected, `${title}: vector must be written sorted`);
    assert.deepEqual(RoleIndex.build(roles).expand(input), expected, title);
    assert.deepEqual(expandScopesNaive(roles, input), expected, `${title} (naive)`);
  }
});

test('build validates: cycles and malformed parameterized scopes are refused', () => {
  assert.throws(() => RoleIndex.build([role('a', 'assume:a')]), DependencyCycleError);
  assert.throws(() => RoleIndex.build([role('a*', 'x*<..>')]), InvalidScopeError);
  assert.throws(
    () => expandScopesNaive([role('a*', 'assume:a<..>x')], ['assume:a']),
    DependencyCycleError,
  );
});

test('size is the number of roles', () => {
  assert.equal(RoleIndex.build([]).size, 0);
  assert.equal(RoleIndex.build(everyRole).size, 3);
});

test('expand always includes the input and returns a fresh array each time', () => {
  const index = RoleIndex.build([role('a', 'A', 'x*'), role('b*', 'B<..>')]);
  const input = Object.freeze(['assume:a', 'xy', 'z', 'assume:bq']);
  const first = index.expand(input);
  assert.deepEqual(first, ['A', 'Bq', 'assume:a', 'assume:bq', 'x*', 'z']);
  first.push('mutated');
  assert.deepEqual(index.expand(input), ['A', 'Bq', 'assume:a', 'assume:bq', 'x*', 'z']);
  assert.deepEqual(input, ['assume:a', 'xy', 'z', 'assume:bq']);
});

test('cached and uncached expansion agree, also after the cache evicts', () => {
  const roles = Array.from({ length: 50 }, (_, i) => role(`r${i}*`, `S${i}:<..>`, 'assume:shared'));
  roles.push(role('shared', 'SHARED'));
  const cached = RoleIndex.build(roles, { cacheEntries: 5 });
  const uncached = RoleIndex.build(roles, { cacheEntries: 0 });
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 20; i++) {
      const input = [`assume:r${i}x`, `assume:r${(i * 7) % 50}*`, 'other'];
      assert.deepEqual(cached.expand(input), uncached.expand(input));
      assert.deepEqual(cached.expand(input), expandScopesNaive(roles, input));
    }
  }
});

test('expansion of a long chain and of long role ids', () => {
  const length = 1000;
  const chain = Array.from({ length }, (_, i) => role(`ch-${i}`, `assume:ch-${i + 1}`));
  chain.push(role(`ch-${length}`, 'special-scope'));
  const expanded = RoleIndex.build(chain).expand(['assume:ch-0']);
  assert.equal(expanded.length, length + 2);
  assert.ok(expanded.includes('special-scope'));

  const long = 'x'.repeat(5000);
  const roles = [role(`${long}a*`, `assume:${long}b<..>`), role(`${long}b*`, 'T<..>')];
  const index = RoleIndex.build(roles);
  const input = [`assume:${long}ayz`];
  assert.deepEqual(index.expand(input), ['Tyz', `assume:${long}ayz`, `assume:${long}byz`]);
  assert.deepEqual(index.expand(input), expandScopesNaive(roles, input));
});

/** A role set shaped like a real deployment: many repositories and projects, a few parameterized roles. */
function deploymentRoles(organizations: number): Role[] {
  const roles: Role[] = [
    role('anonymous', 'auth:current-scopes', 'queue:create-task:project:none'),
  ];
  for (let o = 0; o < organizations; o++) {
    for (let level = 1; level <= 3; level++) {
      roles.push(
        role(
          `project:org-${o}:level-${level}`,
          `queue:create-task:highest:proj-org-${o}/*`,
          `secrets:get:project/org-${o}/level-${level}/*`,
          `assume:worker-pool:proj-org-${o}/level-${level}-*`,
          'assume:anonymous',
        ),
      );
    }
    roles.push(role(`hook-id:project-org-${o}/*`, `assume:project:org-${o}:level-3`));
    for (let r = 0; r < 24; r++) {
      roles.push(
        role(
          `repo:github.com/org-${o}/repo-${r}:branch:main`,
          `assume:project:org-${o}:level-3`,
          'queue:route:checks',
        ),
      );
      roles.push(
        role(`repo:github.com/org-${o}/repo-${r}:pull-request`, `assume:project:org-${o}:level-1`),
      );
    }
  }
  roles.push(
    role(
      'project-admin:*',
      'secrets:get:project/<..>/*',
      'assume:project:<..>:level-3',
      'assume:hook-id:project-<..>/*',
    ),
    role('worker-pool:*', 'queue:claim-work:<..>', 'queue:worker-id:<..>/*'),
    role('github-team:*', 'assume:project-admin:<..>'),
  );
  return roles;
}

test('sanity: 10,000 roles build quickly and a client expands in well under a millisecond', () => {
  const roles = deploymentRoles(200);
  assert.ok(roles.length > 10_000);
  const started = performance.now();
  const index = RoleIndex.build(roles, { cacheEntries: 0 });
  const buildMs = performance.now() - started;
  // Generous bounds: this guards against accidental quadratic behaviour, not for speed.
  assert.ok(buildMs < 3000, `build took ${buildMs.toFixed(0)} ms`);

  const client = [
    'assume:repo:github.com/org-5/repo-3:branch:main',
    'assume:github-team:org-7',
    'assume:anonymous',
  ];
  const expected = expandScopesNaive(roles, client);
  assert.deepEqual(index.expand(client), expected);
  assert.ok(expected.includes('secrets:get:project/org-7/*'));
  assert.ok(expected.includes('queue:claim-work:proj-org-5/level-3-*'));
  const runs = 1000;
  const expandStarted = performance.now();
  for (let i = 0; i < runs; i++) index.expand(client);
  const perExpandMs = (performance.now() - expandStarted) / runs;
  assert.ok(perExpandMs < 0.5, `expand took ${(perExpandMs * 1000).toFixed(1)} µs`);
});
