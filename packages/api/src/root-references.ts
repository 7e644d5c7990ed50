import type { FastifyInstance } from 'fastify';
import type { ApiDefinition } from './api-definition.js';
import { exchangeSchemas, exchangesReference, ExchangesDefinition } from './exchanges-reference.js';
import { apiReference } from './references.js';
import { requestState } from './request-state.js';
import { endpointSchemas, type ServiceSchemas } from './schema-ids.js';

/** An API or a set of exchanges; absent (a service this process does not serve) is skipped. */
export type ReferenceSource = ApiDefinition<never> | ExchangesDefinition | undefined | false;

/** Where each reference is served and what it says, in manifest order. */
export interface RootReferences {
  /** Root-relative path (`/references/queue/v1/api.json`) -> document. */
  readonly references: ReadonlyMap<string, unknown>;
  /** Root-relative path (`/schemas/queue/v1/task-status-response.json`) -> schema. */
  readonly schemas: ReadonlyMap<string, unknown>;
  readonly manifest: unknown;
}

/**
 * Taskcluster's discovery documents for the given APIs and exchanges: the manifest
 * listing every reference, each API's and exchanges' reference, and every schema they
 * point at. Built once from the declarations.
 */
export function rootReferences(sources: readonly ReferenceSource[]): RootReferences {
  const references = new Map<string, unknown>();
  const schemas = new Map<string, unknown>();
  const addSchemas = (service: ServiceSchemas): void => {
    for (const [file, document] of service.documents) {
      const path = `/schemas/${service.serviceName}/${service.apiVersion}/${file}`;
      if (schemas.has(path)) throw new Error(`schema ${path} is declared twice`);
      schemas.set(path, document);
    }
  };
  for (const source of sources) {
    if (!source) continue;
    const base = `/references/${source.serviceName}/${source.apiVersion}`;
    if (source instanceof ExchangesDefinition) {
      references.set(`${base}/exchanges.json`, exchangesReference(source));
      addSchemas(exchangeSchemas(source));
    } else {
      const api = source as ApiDefinition<unknown>;
      references.set(`${base}/api.json`, apiReference(api));
      addSchemas(endpointSchemas(api).schemas);
    }
  }
  const manifest = {
    $schema: '/schemas/common/manifest-v3.json#',
    references: [...references.keys()].sort(),
  };
  return { references, schemas, manifest };
}

/**
 * Serves the discovery documents at the root URL, as a Taskcluster deployment does:
 * `/references/manifest.json`, `/references/<service>/v1/api.json` and
 * `exchanges.json`, and `/schemas/<service>/v1/<file>.json`. Public and read-only:
 * they describe the API, never its data. Any other path under them is the server's 404.
 */
export function mountReferences(app: FastifyInstance, sources: readonly ReferenceSource[]): void {
  const { references, schemas, manifest } = rootReferences(sources);
  const documents: [string, unknown][] = [
    ['/references/manifest.json', manifest],
    ...references,
    ...schemas,
  ];
  for (const [path, document] of documents) {
    const body = JSON.stringify(document);
    app.get(path, async (request, reply) => {
      requestState(request).endpointName = 'references';
      return reply.type('application/json; charset=utf-8').send(body);
    });
  }
}
