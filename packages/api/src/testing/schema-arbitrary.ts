import fc from 'fast-check';

type Schema = Readonly<Record<string, unknown>>;

/**
 * Values shaped by a JSON schema, and deliberately near its edges: strings at and
 * past their length bounds, numbers outside their ranges, missing and extra
 * properties. Used to fuzz endpoints from their declarations (S10): whatever comes
 * out, the server must answer 2xx or 4xx, never 5xx.
 */
export function schemaArbitrary(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
  if (depth > 6) return fc.constant(null);
  if (Array.isArray(schema.enum))
    return fc.oneof(fc.constantFrom(...(schema.enum as unknown[])), fc.string());
  if ('const' in schema) return fc.oneof(fc.constant(schema.const), fc.string());
  const type = Array.isArray(schema.type)
    ? (schema.type as string[])[0]
    : (schema.type as string | undefined);
  switch (type) {
    case 'string':
      return stringArbitrary(schema);
    case 'integer':
    case 'number':
      return fc.oneof(
        fc.integer({ min: toInt(schema.minimum, -10) - 2, max: toInt(schema.maximum, 10) + 2 }),
        fc.double(),
        fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 0),
      );
    case 'boolean':
      return fc.oneof(fc.boolean(), fc.constant('true'));
    case 'array': {
      const items = typeof schema.items === 'object' ? (schema.items as Schema) : {};
      const max = Math.min(toInt(schema.maxItems, 5), 8);
      return fc.oneof(
        fc.array(schemaArbitrary(items, depth + 1), { maxLength: max + 1 }),
        fc.constant('not-an-array'),
      );
    }
    case 'object':
      return objectArbitrary(schema, depth);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function toInt(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : fallback;
}

function stringArbitrary(schema: Schema): fc.Arbitrary<unknown> {
  if (schema.format === 'date-time') {
    return fc.oneof(
      fc
        .date({ min: new Date('1970-01-01'), max: new Date('2999-12-31'), noInvalidDate: true })
        .map((d) => d.toISOString()),
      fc.constantFrom('2020-13-45T99:99:99Z', 'yesterday', ''),
    );
  }
  const max = toInt(schema.maxLength, 32);
  return fc.oneof(
    fc.string({ maxLength: Math.min(max, 64) }),
    fc.string({ unit: 'binary', maxLength: 16 }),
    fc.constant('x'.repeat(max + 1)),
    fc.constantFrom('*', 'a:**', '<..>', '../../etc/passwd', '\u0000', 'assume:*'),
  );
}

function objectArbitrary(schema: Schema, depth: number): fc.Arbitrary<unknown> {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required ?? []) as string[]);
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, sub] of Object.entries(properties))
    record[name] = schemaArbitrary(sub, depth + 1);
  const shaped = fc.record(record, {
    requiredKeys: Object.keys(properties).filter((k) => required.has(k)),
  });
  return fc.oneof(
    { weight: 4, arbitrary: shaped },
    { weight: 1, arbitrary: fc.record(record, { requiredKeys: [] }) },
    {
      weight: 1,
      arbitrary: shaped.chain((value) =>
        fc
          .tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }))
          .map(([k, v]) => ({
            ...(value as object),
            [k]: v,
          })),
      ),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}
