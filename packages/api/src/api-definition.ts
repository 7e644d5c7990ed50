import { templateParameters } from '@bulwark/scopes';
import { assertBoundedSchema } from './schemas.js';
import type { EndpointDeclaration } from './endpoint.js';
import type { ParamSpecs, TypedEndpointDeclaration } from './endpoint-types.js';
import type { JsonSchema } from './schemas.js';
import { standardEndpoints } from './standard-endpoints.js';

export interface ApiDefinitionOptions {
  /** Path segment in `/api/<serviceName>/<apiVersion>`. */
  serviceName: string;
  apiVersion?: string;
  title: string;
  description: string;
}

/** Options that need the service's context type. */
export interface ApiDefinitionHooks<TContext> {
  /** Checks what the service depends on, for `__heartbeat__`; throws when it fails. */
  heartbeat?: (context: TContext) => Promise<void>;
}

const ROUTE_PARAM = /<([a-zA-Z][a-zA-Z0-9_]*)>/g;

/** The parameters a route declares, in order. */
export function routeParameters(route: string): string[] {
  return [...route.matchAll(ROUTE_PARAM)].map((m) => m[1] ?? '');
}

/**
 * A service's API: the list of endpoint declarations. Declaring checks each
 * endpoint's shape eagerly so a mistake fails at start-up (and in every test),
 * never at request time.
 */
export class ApiDefinition<TContext> {
  readonly serviceName: string;
  readonly apiVersion: string;
  readonly title: string;
  readonly description: string;
  readonly endpoints: EndpointDeclaration<TContext>[] = [];

  constructor(options: ApiDefinitionOptions & ApiDefinitionHooks<TContext>) {
    this.serviceName = options.serviceName;
    this.apiVersion = options.apiVersion ?? 'v1';
    this.title = options.title;
    this.description = options.description;
    const started = Date.now();
    // Declared like any endpoint so it runs the same pipeline (and is in the reference).
    this.declare({
      name: 'ping',
      method: 'GET',
      route: '/ping',
      scopes: null,
      title: 'Ping Server',
      description: 'Answers when the service is up; needs no credentials.',
      output: {
        type: 'object',
        additionalProperties: false,
        required: ['alive', 'uptime'],
        properties: { alive: { type: 'boolean' }, uptime: { type: 'number' } },
      },
      handler: async () => ({ alive: true, uptime: (Date.now() - started) / 1000 }),
    });
    for (const endpoint of standardEndpoints(options.heartbeat)) this.declare(endpoint);
  }

  get basePath(): string {
    return `/api/${this.serviceName}/${this.apiVersion}`;
  }

  /**
   * Declares an endpoint. The handler's params, query, body and result types are
   * inferred from the declaration's `params`, `query`, `input` and `output`, so no
   * type arguments are written and a schema change the handler does not follow fails
   * to compile.
   */
  declare<
    const TParams extends ParamSpecs = Record<never, never>,
    const TQuery extends ParamSpecs = Record<never, never>,
    const TInput extends JsonSchema | undefined = undefined,
    const TOutput extends JsonSchema | undefined = undefined,
  >(endpoint: TypedEndpointDeclaration<TContext, TParams, TQuery, TInput, TOutput>): void;
  /**
   * The older form with hand-written type arguments `<Params, Body, Query>`, kept so
   * declarations not yet moved to inferred types still compile.
   */
  declare<TParams = never, TBody = never, TQuery = never>(
    // Only with explicit type arguments: without them this form would accept (as
    // `unknown`) what the inferred form rejects.
    endpoint: [TParams] extends [never]
      ? never
      : EndpointDeclaration<TContext, NoInfer<TParams>, NoInfer<TBody>, NoInfer<TQuery>>,
  ): void;
  // Both forms share everything but the handler's static types.
  declare(endpoint: Omit<EndpointDeclaration<TContext>, 'handler'> & { handler: unknown }): void {
    const where = `${this.serviceName}.${endpoint.name}`;
    if (this.endpoints.some((e) => e.name === endpoint.name)) {
      throw new Error(`${where} is declared twice`);
    }
    const params = routeParameters(endpoint.route);
    for (const name of params) {
      if (!endpoint.params?.[name])
        throw new Error(`${where}: route parameter <${name}> has no pattern`);
    }
    if (endpoint.wildcardParam !== undefined && params.at(-1) !== endpoint.wildcardParam) {
      throw new Error(`${where}: the wildcard parameter must be the last route parameter`);
    }
    if (endpoint.input !== undefined) {
      if (endpoint.method === 'GET' || endpoint.method === 'DELETE') {
        throw new Error(`${where}: ${endpoint.method} endpoints take no input`);
      }
      assertBoundedSchema(endpoint.input, `${where}.input`);
    }
    if (endpoint.scopes !== null) {
      // Every template parameter must come from somewhere the handler can name.
      for (const name of templateParameters(endpoint.scopes)) {
        if (name.length === 0) throw new Error(`${where}: empty scope template parameter`);
      }
    }
    this.endpoints.push(endpoint as EndpointDeclaration<TContext>);
  }
}
