import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

type Schema = Record<string, unknown>;

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * Every JSON schema under `dir` (Taskcluster's published schemas, as stored in a test
 * fixture), by `$id` without its empty fragment: `/schemas/queue/v1/task-status.json`.
 */
export function loadSchemaDirectory(dir: string): Map<string, Schema> {
  const schemas = new Map<string, Schema>();
  const walk = (path: string): void => {
    for (const name of readdirSync(path)) {
      const file = join(path, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (name.endsWith('.json')) {
        const schema = JSON.parse(readFileSync(file, 'utf8')) as Schema;
        if (typeof schema.$id === 'string') schemas.set(schema.$id.replace(/#$/, ''), schema);
      }
    }
  };
  walk(dir);
  return schemas;
}

/**
 * Taskcluster's published schemas for what Bulwark shares with it, stored in this
 * package's fixtures (see fixtures/taskcluster-schemas/README.md for their source).
 */
export function taskclusterSchemas(): Map<string, Schema> {
  return loadSchemaDirectory(
    fileURLToPath(new URL('../../fixtures/taskcluster-schemas/', import.meta.url)),
  );
}

/**
 * An Ajv holding the given schemas, which may `$ref` each other by root-relative `$id`
 * as Taskcluster's and Bulwark's served schemas do. Not strict: it checks documents
 * written by others, whose metaschema (`$schema`) it does not have.
 */
export function validatorFor(schemas: Iterable<Schema>): (id: string) => ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  for (const schema of schemas) {
    // Without `$schema`: the metaschema it names is Taskcluster's, not Ajv's.
    const copy = { ...schema };
    delete copy.$schema;
    ajv.addSchema(copy);
  }
  return (id) => {
    const validate = ajv.getSchema(id.replace(/#$/, '')) ?? ajv.getSchema(id);
    if (!validate) throw new Error(`no schema ${id}`);
    return validate;
  };
}

/** Resolves `$ref`s of schemas stored by `$id` (`file.json#/json/pointer`, relative to `base`). */
function dereference(schema: Schema, base: string, all: Map<string, Schema>): [Schema, string] {
  let current = schema;
  let where = base;
  for (let hops = 0; typeof current.$ref === 'string' && hops < 20; hops += 1) {
    const [file = '', pointer = ''] = current.$ref.split('#');
    const id = file === '' ? where : new URL(file, `http://x${where}`).pathname;
    let target: unknown = all.get(id);
    for (const key of pointer.split('/').filter(Boolean)) {
      target = (target as Schema | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    if (typeof target !== 'object' || target === null)
      throw new Error(`unresolved ${current.$ref}`);
    current = target as Schema;
    where = id;
  }
  return [current, where];
}

const typesOf = (s: Schema): string[] => {
  if (Array.isArray(s.type)) return (s.type as string[]).slice().sort();
  if (typeof s.type === 'string') return [s.type];
  if (s.const !== undefined) return [typeof s.const === 'number' ? 'integer' : typeof s.const];
  if (Array.isArray(s.enum))
    return [...new Set(s.enum.map((v) => (typeof v === 'number' ? 'integer' : typeof v)))];
  return [];
};

const valuesOf = (s: Schema): unknown[] | undefined =>
  Array.isArray(s.enum) ? (s.enum as unknown[]) : s.const !== undefined ? [s.const] : undefined;

/**
 * What differs in shape between two schemas: types, properties, required properties,
 * whether undeclared properties are allowed, and allowed values (enum/const), walking
 * the properties and array items both declare. `$ref`s are followed in either (each
 * resolved among its own side's schemas). Bounds and patterns are not compared: each
 * difference is one line `<path>: <what>`, so a test can list the ones it accepts.
 */
export function schemaDifferences(
  ours: { schema: Schema; id: string; all: Map<string, Schema> },
  theirs: { schema: Schema; id: string; all: Map<string, Schema> },
): string[] {
  const found: string[] = [];
  const walk = (a0: Schema, aBase: string, b0: Schema, bBase: string, path: string): void => {
    const [a, aWhere] = dereference(a0, aBase, ours.all);
    const [b, bWhere] = dereference(b0, bBase, theirs.all);
    const at = path === '' ? '/' : path;
    const [ta, tb] = [typesOf(a), typesOf(b)];
    if (ta.length > 0 && tb.length > 0 && ta.join() !== tb.join()) {
      found.push(`${at}: type ${ta.join('|')} here, ${tb.join('|')} in Taskcluster`);
    }
    const [va, vb] = [valuesOf(a), valuesOf(b)];
    if (va && vb) {
      const onlyOurs = va.filter((v) => !vb.includes(v));
      const onlyTheirs = vb.filter((v) => !va.includes(v));
      if (onlyOurs.length > 0) found.push(`${at}: values only here: ${onlyOurs.join(', ')}`);
      if (onlyTheirs.length > 0)
        found.push(`${at}: values only in Taskcluster: ${onlyTheirs.join(', ')}`);
    } else if (va && !vb) found.push(`${at}: values limited only here`);
    else if (!va && vb) found.push(`${at}: values limited only in Taskcluster`);
    const pa = (a.properties ?? {}) as Record<string, Schema>;
    const pb = (b.properties ?? {}) as Record<string, Schema>;
    for (const name of Object.keys(pa))
      if (!(name in pb)) found.push(`${at}: property ${name} only here`);
    for (const name of Object.keys(pb))
      if (!(name in pa)) found.push(`${at}: property ${name} only in Taskcluster`);
    const ra = new Set((a.required ?? []) as string[]);
    const rb = new Set((b.required ?? []) as string[]);
    for (const name of ra) if (!rb.has(name)) found.push(`${at}: ${name} required only here`);
    for (const name of rb)
      if (!ra.has(name)) found.push(`${at}: ${name} required only in Taskcluster`);
    if (
      (a.additionalProperties === false) !== (b.additionalProperties === false) &&
      (ta.includes('object') || tb.includes('object'))
    ) {
      found.push(
        `${at}: undeclared properties ${a.additionalProperties === false ? 'refused here' : 'refused in Taskcluster'}`,
      );
    }
    for (const name of Object.keys(pa)) {
      const sub = pb[name];
      if (sub) walk(pa[name]!, aWhere, sub, bWhere, `${path}/${name}`);
    }
    if (typeof a.items === 'object' && typeof b.items === 'object') {
      walk(a.items as Schema, aWhere, b.items as Schema, bWhere, `${path}[]`);
    }
    if (typeof a.additionalProperties === 'object' && typeof b.additionalProperties === 'object') {
      walk(
        a.additionalProperties as Schema,
        aWhere,
        b.additionalProperties as Schema,
        bWhere,
        `${path}{}`,
      );
    }
  };
  walk(ours.schema, ours.id, theirs.schema, theirs.id, '');
  return found;
}

/** Two sides of a comparison: a service's API reference and the schemas it points at. */
export interface ReferenceSide {
  readonly reference: { entries: readonly Record<string, unknown>[] };
  /** Every schema of this side, by path (`/schemas/queue/v1/task-status-response.json`). */
  readonly schemas: Map<string, Schema>;
}

/**
 * What differs between the input and output schemas of the functions two API references
 * of one service share (Bulwark's served one and Taskcluster's), one line per
 * difference: `<service>.<function> <input|output> <path>: <what>`.
 */
export function referenceDifferences(
  service: string,
  ours: ReferenceSide,
  theirs: ReferenceSide,
): string[] {
  const found: string[] = [];
  const path = (ref: unknown): string => `/schemas/${service}/${String(ref).replace(/#$/, '')}`;
  for (const entry of theirs.reference.entries) {
    const mine = ours.reference.entries.find((e) => e.name === entry.name);
    if (!mine || entry.type !== 'function') continue;
    for (const side of ['input', 'output'] as const) {
      const label = `${service}.${String(entry.name)} ${side}`;
      if (entry[side] === undefined && mine[side] === undefined) continue;
      if (entry[side] === undefined || mine[side] === undefined) {
        found.push(`${label}: declared only ${mine[side] ? 'here' : 'in Taskcluster'}`);
        continue;
      }
      const [ourPath, theirPath] = [path(mine[side]), path(entry[side])];
      const [ourSchema, theirSchema] = [ours.schemas.get(ourPath), theirs.schemas.get(theirPath)];
      if (!ourSchema || !theirSchema) {
        found.push(`${label}: ${ourSchema ? `${theirPath} is not in the fixture` : 'not served'}`);
        continue;
      }
      for (const difference of schemaDifferences(
        { schema: ourSchema, id: ourPath, all: ours.schemas },
        { schema: theirSchema, id: theirPath, all: theirs.schemas },
      )) {
        found.push(`${label} ${difference}`);
      }
    }
  }
  return found;
}
