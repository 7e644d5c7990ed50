import type { ApiDefinition } from './api-definition.js';
import type { JsonSchema } from './schemas.js';

/** The JSON Schema draft Bulwark's schemas are written in (Ajv's default, as Taskcluster's). */
export const SCHEMA_DRAFT = 'http://json-schema.org/draft-07/schema#';

/** The schemas of one service, under `/schemas/<service>/<version>/<file>`. */
export interface ServiceSchemas {
  readonly serviceName: string;
  readonly apiVersion: string;
  /** File name (`task-status-response.json`) -> the served document, `$id` included. */
  readonly documents: ReadonlyMap<string, JsonSchema>;
}

/** What each endpoint's input and output are called, as `v1/<file>#` in the API reference. */
export interface EndpointSchemaNames {
  readonly input?: string;
  readonly output?: string;
}

/** `createTask` -> `create-task`, as Taskcluster names its schema files. */
export function kebabCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** Root-relative `$id` of a served schema: where `/schemas/...` serves it. */
export function schemaId(serviceName: string, apiVersion: string, file: string): string {
  return `/schemas/${serviceName}/${apiVersion}/${file}#`;
}

/** The reference's pointer to a schema, relative to `/schemas/<service>/` as Taskcluster's. */
export function schemaReference(apiVersion: string, file: string): string {
  return `${apiVersion}/${file}#`;
}

/** A declared schema as served: the same constraints, with `$schema` and its `$id`. */
export function schemaDocument(
  serviceName: string,
  apiVersion: string,
  file: string,
  schema: JsonSchema,
): JsonSchema {
  return { $schema: SCHEMA_DRAFT, $id: schemaId(serviceName, apiVersion, file), ...schema };
}

/**
 * Names every endpoint's input and output schema: `<endpoint>-request.json` and
 * `<endpoint>-response.json`. A schema object several endpoints share (a task status
 * answered by createTask, status, cancelTask...) is one document, named after the first
 * endpoint that declares it, so a client sees that the answers have one shape.
 */
export function endpointSchemas(api: ApiDefinition<unknown>): {
  names: ReadonlyMap<string, EndpointSchemaNames>;
  schemas: ServiceSchemas;
} {
  const documents = new Map<string, JsonSchema>();
  const fileOf = new Map<JsonSchema, string>();
  const name = (schema: JsonSchema | undefined, file: string): string | undefined => {
    if (schema === undefined) return undefined;
    const known = fileOf.get(schema);
    if (known !== undefined) return known;
    fileOf.set(schema, file);
    documents.set(file, schemaDocument(api.serviceName, api.apiVersion, file, schema));
    return file;
  };
  const names = new Map<string, EndpointSchemaNames>();
  for (const endpoint of api.endpoints) {
    const base = kebabCase(endpoint.name);
    const input = name(endpoint.input, `${base}-request.json`);
    const output = name(endpoint.output, `${base}-response.json`);
    names.set(endpoint.name, {
      ...(input !== undefined ? { input } : {}),
      ...(output !== undefined ? { output } : {}),
    });
  }
  return {
    names,
    schemas: { serviceName: api.serviceName, apiVersion: api.apiVersion, documents },
  };
}
