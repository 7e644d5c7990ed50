import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

export type JsonSchema = Readonly<Record<string, unknown>>;

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * One Ajv instance for every declared schema: strict mode so a typo in a schema
 * keyword is an error at start-up, never a silently ignored constraint. Nothing is
 * coerced or removed: input that does not match is rejected as sent (S10).
 */
export function createAjv(): Ajv {
  const ajv = new Ajv({
    strict: true,
    allErrors: false,
    coerceTypes: false,
    removeAdditional: false,
    useDefaults: false,
  });
  addFormats(ajv);
  return ajv;
}

/**
 * Checks that a schema bounds everything an attacker controls: strings have a
 * maximum length (or are an enum/const/date-time), numbers a range, arrays a
 * maximum count, objects no undeclared properties. Run on every declared input
 * schema at start-up so an unbounded field cannot ship (S10).
 */
export function assertBoundedSchema(schema: unknown, path = '#'): void {
  if (typeof schema !== 'object' || schema === null) return;
  const s = schema as Record<string, unknown>;
  const fail = (why: string): never => {
    throw new Error(`schema ${path} is unbounded: ${why}`);
  };
  const bounded = 'enum' in s || 'const' in s;
  const types = Array.isArray(s.type) ? (s.type as unknown[]) : [s.type];
  if (!bounded) {
    if (types.includes('string') && s.maxLength === undefined && s.format !== 'date-time') {
      fail('string without maxLength');
    }
    if (
      (types.includes('integer') || types.includes('number')) &&
      (s.maximum === undefined || s.minimum === undefined)
    ) {
      fail('number without minimum and maximum');
    }
    if (types.includes('array') && s.maxItems === undefined) fail('array without maxItems');
    if (types.includes('object')) {
      const closed = s.additionalProperties === false;
      const boundedMap =
        typeof s.additionalProperties === 'object' && s.maxProperties !== undefined;
      if (!closed && !boundedMap && s.properties !== undefined) {
        fail('object allows undeclared properties');
      }
      if (!closed && !boundedMap && s.properties === undefined && s.maxProperties === undefined) {
        fail('free-form object without maxProperties');
      }
    }
  }
  for (const key of ['items', 'additionalProperties', 'not'] as const) {
    if (typeof s[key] === 'object') assertBoundedSchema(s[key], `${path}/${key}`);
  }
  for (const key of ['properties', 'patternProperties', '$defs'] as const) {
    const group = s[key];
    if (typeof group === 'object' && group !== null) {
      for (const [name, sub] of Object.entries(group)) {
        assertBoundedSchema(sub, `${path}/${key}/${name}`);
      }
    }
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = s[key];
    if (Array.isArray(list))
      list.forEach((sub, i) => assertBoundedSchema(sub, `${path}/${key}/${i}`));
  }
}

/** Renders ajv's first error as one readable sentence for InputValidationError. */
export function describeValidationErrors(errors: ErrorObject[] | null | undefined): string {
  const first = errors?.[0];
  if (!first) return 'input is invalid';
  const where = first.instancePath === '' ? 'the request body' : `\`${first.instancePath}\``;
  if (first.keyword === 'additionalProperties') {
    const extra = (first.params as { additionalProperty?: string }).additionalProperty ?? '?';
    return `${where} must not have the property \`${extra}\``;
  }
  return `${where} ${first.message ?? 'is invalid'}`;
}

export type { ValidateFunction };
