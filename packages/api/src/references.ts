import type { ApiDefinition } from './api-definition.js';
import { routeParameters } from './api-definition.js';
import { ERROR_STATUS } from './errors.js';
import { endpointSchemas, schemaReference } from './schema-ids.js';

/**
 * The API reference in Taskcluster's format (`api-reference-v0`): what
 * `taskcluster-client`'s createClient, docs generators and the Taskcluster UI consume.
 * Input and output name their schema as Taskcluster's do (`v1/<file>#`, relative to
 * `/schemas/<service>/`), served at `/schemas/<service>/v1/<file>`. Derived from the
 * declarations, so it cannot drift.
 */
export function apiReference(api: ApiDefinition<unknown>): Record<string, unknown> {
  const { names } = endpointSchemas(api);
  return {
    $schema: '/schemas/common/api-reference-v0.json#',
    serviceName: api.serviceName,
    apiVersion: api.apiVersion,
    title: api.title,
    description: api.description,
    entries: api.endpoints.map((e) => {
      const schemas = names.get(e.name) ?? {};
      return {
        type: 'function',
        name: e.name,
        method: e.method.toLowerCase(),
        route: e.route,
        args: routeParameters(e.route),
        query: Object.keys(e.query ?? {}),
        stability: e.stability ?? 'stable',
        category: e.category ?? api.title,
        title: e.title,
        description: e.description,
        ...(e.scopes !== null ? { scopes: e.scopes } : {}),
        ...(schemas.input ? { input: schemaReference(api.apiVersion, schemas.input) } : {}),
        ...(schemas.output ? { output: schemaReference(api.apiVersion, schemas.output) } : {}),
      };
    }),
  };
}

const ERROR_SCHEMA = {
  type: 'object',
  required: ['code', 'message', 'requestInfo'],
  properties: {
    code: { type: 'string', enum: Object.keys(ERROR_STATUS) },
    message: { type: 'string' },
    requestInfo: { type: 'object' },
  },
};

/** An OpenAPI 3.1 document for the same declarations (JSON Schema 2020-12 compatible). */
export function openApiDocument(api: ApiDefinition<unknown>): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const e of api.endpoints) {
    const path = api.basePath + e.route.replace(/<([a-zA-Z][a-zA-Z0-9_]*)>/g, '{$1}');
    const parameters = [
      ...routeParameters(e.route).map((name) => ({
        name,
        in: 'path',
        required: true,
        schema: {
          type: 'string',
          pattern: e.params?.[name]?.pattern.source,
          maxLength: e.params?.[name]?.maxLength,
        },
      })),
      ...Object.entries(e.query ?? {}).map(([name, spec]) => ({
        name,
        in: 'query',
        required: false,
        schema: { type: 'string', pattern: spec.pattern.source, maxLength: spec.maxLength },
      })),
    ];
    const operation: Record<string, unknown> = {
      operationId: e.name,
      summary: e.title,
      description: e.description,
      parameters,
      'x-bulwark-scopes': e.scopes,
      security: e.scopes === null ? [] : [{ hawk: [] }],
      responses: {
        '200': {
          description: 'Success',
          ...(e.output ? { content: { 'application/json': { schema: e.output } } } : {}),
        },
        default: {
          description: 'Error',
          content: { 'application/json': { schema: ERROR_SCHEMA } },
        },
      },
    };
    if (e.input) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: e.input } },
      };
    }
    paths[path] = { ...paths[path], [e.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: { title: api.title, description: api.description, version: api.apiVersion },
    components: {
      securitySchemes: {
        hawk: {
          type: 'http',
          scheme: 'hawk',
          description: 'Hawk request signing, Taskcluster style',
        },
      },
    },
    paths,
  };
}
