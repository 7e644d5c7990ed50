import fc from 'fast-check';
import type { Role } from '../role-errors.js';
import { satisfiesScope } from '../satisfaction.js';

/**
 * Random scopes and role sets over a tiny alphabet, so that random strings collide,
 * prefix each other and end in stars often enough to reach the interesting cases.
 */
export const ALPHABET = ['a', 'b', ':', '*'] as const;

export function text(minLength: number, maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...ALPHABET), minLength, maxLength });
}

/** Short scopes over the alphabet; many end in `*`, some in `**`. */
export const scope = text(0, 4);

export const scopeSet = fc.array(scope, { maxLength: 6 });

/** Inserts `<..>` at some position of the scope. */
function withParameter(scope: string): fc.Arbitrary<string> {
  return fc.nat().map((n) => {
    const at = n % (scope.length + 1);
    return `${scope.slice(0, at)}<..>${scope.slice(at)}`;
  });
}

/** Scopes as they appear in roles and requests: mostly `assume:`, some matching every role. */
export const roleScope = fc.oneof(
  { weight: 6, arbitrary: text(0, 4).map((rest) => `assume:${rest}`) },
  { weight: 2, arbitrary: text(0, 3) },
  { weight: 1, arbitrary: fc.constantFrom('*', 'a*', 'as*', 'assume*', 'assume:', 'assume:*') },
);

const roleScopeMaybeParameterized = fc.oneof(
  { weight: 3, arbitrary: roleScope },
  { weight: 2, arbitrary: roleScope.chain(withParameter) },
);

/** Up to five roles with distinct short ids, about half of them parameterized. */
export const roleSet: fc.Arbitrary<Role[]> = fc.uniqueArray(
  fc.record({
    roleId: text(1, 3),
    scopes: fc.array(roleScopeMaybeParameterized, { maxLength: 3 }),
  }),
  { selector: (role) => role.roleId, maxLength: 5 },
);

/** A scope close to `assume:<roleId>`: itself, cut short with a star, or extended. */
function nearRole(roleId: string): fc.Arbitrary<string> {
  return fc
    .oneof(
      fc.constant(roleId),
      fc.nat().map((n) => `${roleId.slice(0, n % (roleId.length + 1))}*`),
      text(1, 2).map((rest) => roleId + rest),
    )
    .map((id) => `assume:${id}`);
}

/** A role set and input scopes, most of which assume something near one of the roles. */
export const expansionScenario: fc.Arbitrary<[Role[], string[]]> = roleSet.chain((roles) => {
  const input =
    roles.length === 0
      ? roleScope
      : fc.oneof(roleScope, fc.constantFrom(...roles.map((role) => role.roleId)).chain(nearRole));
  return fc.tuple(fc.constant(roles), fc.array(input, { minLength: 1, maxLength: 3 }));
});

/**
 * Role sets in layers: ids start with their layer's letter and scopes only assume ids of
 * later layers, with the parameter placed after that letter. So most sets are acyclic and
 * parameters flow through chains of several roles.
 */
export const layeredScenario: fc.Arbitrary<[Role[], string[]]> = fc
  .array(
    fc.tuple(
      fc.integer({ min: 0, max: 3 }),
      text(0, 2),
      fc.boolean(),
      fc.array(
        fc.tuple(
          fc.integer({ min: 1, max: 3 }),
          text(0, 3),
          fc.option(fc.nat(), { nil: undefined }),
          fc.boolean(),
        ),
        { maxLength: 4 },
      ),
    ),
    { maxLength: 8 },
  )
  .map((specs) => {
    const layers = 'pqrs';
    const byId = new Map<string, Role>();
    for (const [layer, rest, star, scopeSpecs] of specs) {
      const roleId = `${layers[layer]}${rest}${star ? '*' : ''}`;
      const scopes = scopeSpecs.map(([step, tail, parameterAt, terminal]) => {
        const target = layer + step;
        const body = target >= layers.length || terminal ? `X${tail}` : `${layers[target]}${tail}`;
        const withParameter =
          parameterAt === undefined
            ? body
            : `${body.slice(0, 1 + (parameterAt % body.length))}<..>${body.slice(1 + (parameterAt % body.length))}`;
        return target >= layers.length || terminal ? withParameter : `assume:${withParameter}`;
      });
      byId.set(roleId, { roleId, scopes });
    }
    return [...byId.values()];
  })
  .chain((roles) => {
    const input =
      roles.length === 0
        ? roleScope
        : fc.oneof(
            { weight: 1, arbitrary: roleScope },
            {
              weight: 4,
              arbitrary: fc.constantFrom(...roles.map((role) => role.roleId)).chain(nearRole),
            },
          );
    return fc.tuple(fc.constant(roles), fc.array(input, { minLength: 1, maxLength: 3 }));
  });

/**
 * Scopes to probe satisfaction with: every string over the alphabet up to three
 * characters, and around every given scope its prefixes, each extended by one character.
 */
export function probeScopes(...sets: (readonly string[])[]): string[] {
  const probes = new Set<string>(['']);
  let layer = [''];
  for (let length = 1; length <= 3; length++) {
    layer = layer.flatMap((prefix) => ALPHABET.map((character) => prefix + character));
    for (const probe of layer) probes.add(probe);
  }
  for (const set of sets) {
    for (const given of set) {
      for (let end = 0; end <= given.length; end++) {
        const prefix = given.slice(0, end);
        probes.add(prefix);
        for (const character of [...ALPHABET, 'x']) probes.add(prefix + character);
      }
    }
  }
  return [...probes];
}

/** The first probe that exactly one of the two sets satisfies, or undefined. */
export function satisfactionDifference(
  a: readonly string[],
  b: readonly string[],
): string | undefined {
  return probeScopes(a, b).find((probe) => satisfiesScope(a, probe) !== satisfiesScope(b, probe));
}
