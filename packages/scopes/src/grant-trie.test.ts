// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { afterPrefix, beforeSuffix } from './grant-trie-shifts.js';
import { EMPTY_NODE, grantsFor, leafNode, mergeTries, trieAt } from './grant-trie.js';
import type { GrantNode } from './grant-trie.js';
import type { Role } from './role-errors.js';
import { buildGrantTrie } from './role-index.js';
import { PARAMETER_MARK, fillParameter } from './role-parameter.js';
import { mergeScopeSets } from './scope-sets.js';
import { layeredScenario, text } from './testing/arbitraries.js';

test('a trie walk: plain inputs, wildcard inputs and inputs ending inside an edge', () => {
  const trie = mergeTries(
    trieAt(
      'abc',
      leafNode({ onEnd: ['END'], onReach: ['REACH'], onReachFilled: [`P${PARAMETER_MARK}Q`] }),
    ),
    trieAt('abd', leafNode({ onEnd: ['OTHER'], onWildcardEnd: ['WILD'] })),
  );
  const cases: [input: string, expected: string[]][] = [
    ['abc', ['END', 'PQ', 'REACH']],
    ['abcxy', ['PxyQ', 'REACH']],
    ['abcxy*', ['Pxy*', 'REACH']],
    ['abc*', ['END', 'P*', 'REACH']],
    ['ab*', ['END', 'OTHER', 'P*', 'REACH', 'WILD']],
    ['a*', ['END', 'OTHER', 'P*', 'REACH', 'WILD']],
    ['*', ['END', 'OTHER', 'P*', 'REACH', 'WILD']],
    ['abd', ['OTHER']],
    ['abd*', ['OTHER', 'WILD']],
    ['ab', []],
    ['abe*', []],
    ['b*', []],
    ['', []],
  ];
  for (const [input, expected] of cases) assert.deepEqual(grantsFor(trie, input), expected, input);
  assert.deepEqual(grantsFor(EMPTY_NODE, '*'), []);
});

test('mergeTries splits edges where labels part ways and never modifies its inputs', () => {
  const a = trieAt('assume:abc', leafNode({ onEnd: ['A'] }));
  const b = trieAt('assume:abd', leafNode({ onEnd: ['B'] }));
  const c = trieAt('assume:a', leafNode({ onReach: ['C'] }));
  const merged = mergeTries(mergeTries(a, b), c);
  assert.deepEqual(grantsFor(merged, 'assume:abc'), ['A', 'C']);
  assert.deepEqual(grantsFor(merged, 'assume:abd'), ['B', 'C']);
  assert.deepEqual(grantsFor(merged, 'assume:ab*'), ['A', 'B', 'C']);
  assert.deepEqual(grantsFor(a, 'assume:abd'), []);
  assert.deepEqual(grantsFor(a, 'assume:ab*'), ['A']);
  assert.deepEqual(grantsFor(c, 'assume:abc'), ['C']);
});

/** Inputs worth probing a trie with: near the scenario's inputs and role ids. */
function probeInputs(roles: readonly Role[], inputs: readonly string[]): string[] {
  const probes = new Set<string>(['', '*', 'assume:', 'assume:*', 'as*']);
  const bases = [...inputs, ...roles.map((role) => `assume:${role.roleId}`)];
  for (const base of bases) {
    probes.add(base);
    probes.add(`${base}*`);
    probes.add(`${base}a`);
    probes.add(`${base}:b*`);
    for (let end = 0; end < base.length; end++) probes.add(`${base.slice(0, end)}*`);
  }
  return [...probes];
}

function validTrie(roles: readonly Role[]): GrantNode | undefined {
  try {
    return buildGrantTrie(roles);
  } catch {
    return undefined;
  }
}

test('property: afterPrefix(trie, p) reads v as trie reads p + v', () => {
  fc.assert(
    fc.property(layeredScenario, ([roles, inputs]) => {
      const trie = validTrie(roles);
      if (trie === undefined) return;
      for (const input of probeInputs(roles, inputs)) {
        const expected = grantsFor(trie, input);
        for (let cut = 0; cut <= input.length; cut++) {
          const prefix = input.slice(0, cut);
          const rest = input.slice(cut);
          // The prefix is never a wildcard, so it cannot take the input's final star.
          if (prefix.endsWith('*') && rest === '') continue;
          assert.deepEqual(
            grantsFor(afterPrefix(trie, prefix), rest),
            expected,
            `${prefix} | ${rest}`,
          );
        }
      }
    }),
    { numRuns: 500 },
  );
});

test('property: beforeSuffix(trie, s) reads v as trie reads v + s, or v alone for a wildcard v', () => {
  fc.assert(
    fc.property(layeredScenario, ([roles, inputs]) => {
      const trie = validTrie(roles);
      if (trie === undefined) return;
      for (const input of probeInputs(roles, inputs)) {
        for (let cut = 0; cut < input.length; cut++) {
          const value = input.slice(0, cut);
          const suffix = input.slice(cut);
          const expected = grantsFor(trie, value.endsWith('*') ? value : input);
          assert.deepEqual(
            grantsFor(beforeSuffix(trie, suffix), value),
            expected,
            `${value} | ${suffix}`,
          );
        }
      }
    }),
    { numRuns: 500 },
  );
});

test('property: a template trie reads the parameter as the trie reads the filled template', () => {
  const template = fc
    .tuple(text(0, 3), text(0, 3))
    .filter(([head, tail]) => !(head.endsWith('*') && tail === ''));
  fc.assert(
    fc.property(layeredScenario, template, text(0, 3), ([roles, inputs], [head, tail], value) => {
      const trie = validTrie(roles);
      if (trie === undefined) return;
      const values = [
        value,
        `${value}*`,
        ...probeInputs([], inputs).map((probe) => probe.slice(7)),
      ];
      for (const fullHead of [head, `assume:${head}`]) {
        const shifted = beforeSuffix(afterPrefix(trie, fullHead), tail);
        const filled = (v: string) => fillParameter(`${fullHead}${PARAMETER_MARK}${tail}`, v);
        for (const v of values) {
          assert.deepEqual(
            grantsFor(shifted, v),
            grantsFor(trie, filled(v)),
            `${fullHead}<..>${tail} with ${v}`,
          );
        }
      }
    }),
    { numRuns: 500 },
  );
});

test('property: mergeTries grants the union of what both tries grant', () => {
  fc.assert(
    fc.property(layeredScenario, layeredScenario, ([rolesA, inputsA], [rolesB, inputsB]) => {
      const a = validTrie(rolesA);
      const b = validTrie(rolesB);
      if (a === undefined || b === undefined) return;
      const merged = mergeTries(a, b);
      for (const input of probeInputs([...rolesA, ...rolesB], [...inputsA, ...inputsB])) {
        assert.deepEqual(
          grantsFor(merged, input),
          mergeScopeSets(grantsFor(a, input), grantsFor(b, input)),
          input,
        );
      }
    }),
    { numRuns: 300 },
  );
});
