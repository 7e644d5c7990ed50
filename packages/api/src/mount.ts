import { satisfiesExpression } from '@bulwark/scopes';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ajv } from 'ajv';
import type { ApiDefinition } from './api-definition.js';
import { routeParameters } from './api-definition.js';
import type { Authenticator } from './authenticator.js';
import { authorizeCaller, isAuthorizableFromRoute } from './authorization.js';
import { authenticateRequest } from './authenticate-request.js';
import type { ApiRequest, Caller, EndpointDeclaration, ParamSpec } from './endpoint.js';
import { Reply } from './endpoint.js';
import { findBodyProblem } from './body-checks.js';
import { ApiError } from './errors.js';
import { requestState } from './request-state.js';
import { createAjv, describeValidationErrors, type ValidateFunction } from './schemas.js';
import { apiReference, openApiDocument } from './references.js';

export interface MountOptions<TContext> {
  context: TContext;
  authenticator: Authenticator;
  /** Validate every response against its declared schema (a mismatch is a 500). */
  validateOutput?: boolean;
}

/**
 * Registers every endpoint of an API on a Fastify instance under
 * `/api/<service>/<version>`, plus `ping`, the API reference and an OpenAPI
 * document generated from the same declarations.
 */
export function mountApi<TContext>(
  app: FastifyInstance,
  api: ApiDefinition<TContext>,
  options: MountOptions<TContext>,
): void {
  const ajv = createAjv();
  const base = api.basePath;

  const reference = apiReference(api);
  const openApi = openApiDocument(api);
  const builtIn: [string, () => unknown][] = [
    ['reference', () => reference],
    ['openapi.json', () => openApi],
  ];
  for (const [name, respond] of builtIn) {
    app.get(`${base}/${name}`, async (request) => {
      requestState(request).endpointName = name;
      return respond();
    });
  }

  for (const endpoint of api.endpoints) {
    registerEndpoint(app, api, endpoint, ajv, options);
  }
}

function registerEndpoint<TContext>(
  app: FastifyInstance,
  api: ApiDefinition<TContext>,
  endpoint: EndpointDeclaration<TContext>,
  ajv: Ajv,
  options: MountOptions<TContext>,
): void {
  const routeParams = routeParameters(endpoint.route);
  const routeParamSet = new Set(routeParams);
  const validateInput = endpoint.input ? ajv.compile(endpoint.input) : undefined;
  const validateOutput =
    endpoint.output && options.validateOutput !== false ? ajv.compile(endpoint.output) : undefined;
  const authorizeBeforeHandler =
    endpoint.scopes !== null && isAuthorizableFromRoute(endpoint.scopes, routeParamSet);

  app.route({
    method: endpoint.method,
    url: api.basePath + toFastifyRoute(endpoint),
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const state = requestState(request);
      state.endpointName = endpoint.name;
      state.sensitiveFields = endpoint.sensitiveInputFields;
      const params = parseParams(request, endpoint, routeParams);
      const query = parseQuery(request, endpoint.query ?? {});
      const body = parseBody(request, validateInput);

      let caller: Caller = ANONYMOUS_CALLER;
      if (endpoint.scopes !== null) {
        const pending = authenticateRequest(request, options.authenticator);
        caller = pending instanceof Promise ? await pending : pending;
      }
      state.clientId = caller.clientId;

      let authorized = endpoint.scopes === null;
      const template = endpoint.scopes;
      if (authorizeBeforeHandler && template !== null) {
        authorizeCaller(caller, template, params);
        authorized = true;
      }
      const apiRequest: ApiRequest<unknown, unknown, unknown> = {
        params,
        body,
        query,
        caller,
        log: request.log,
        raw: request,
        reply,
        authorize(renderParams) {
          if (template !== null) authorizeCaller(caller, template, renderParams);
          authorized = true;
        },
        satisfies: (expression) => satisfiesExpression(caller.scopes, expression),
      };

      const result = await endpoint.handler(options.context, apiRequest);
      if (!authorized) {
        // Fail closed: whatever the handler produced is withheld.
        request.log.error({ endpoint: endpoint.name }, 'handler finished without authorizing');
        throw new Error(`${endpoint.name} did not authorize the request`);
      }
      return sendResult(reply, result, validateOutput, endpoint.name);
    },
  });
}

const ANONYMOUS_CALLER: Caller = Object.freeze({
  clientId: 'anonymous',
  scopes: [],
  expires: undefined,
  authenticated: false,
});

function toFastifyRoute(endpoint: EndpointDeclaration<unknown>): string {
  return endpoint.route.replace(/<([a-zA-Z][a-zA-Z0-9_]*)>/g, (_m, name: string) =>
    name === endpoint.wildcardParam ? '*' : `:${name}`,
  );
}

function invalidArgument(name: string, why: string): ApiError {
  return new ApiError('InvalidRequestArguments', `Invalid request arguments: ${name} ${why}`);
}

function checkArgument(name: string, value: string, spec: ParamSpec): void {
  if (value.length > spec.maxLength)
    throw invalidArgument(name, `is longer than ${spec.maxLength}`);
  if (!spec.pattern.test(value)) throw invalidArgument(name, `must match ${String(spec.pattern)}`);
}

function parseParams(
  request: FastifyRequest,
  endpoint: EndpointDeclaration<unknown>,
  names: readonly string[],
): Record<string, string> {
  const raw = request.params as Record<string, string | undefined>;
  const params: Record<string, string> = {};
  for (const name of names) {
    const value = raw[name === endpoint.wildcardParam ? '*' : name] ?? '';
    const spec = endpoint.params?.[name];
    if (!spec) throw new Error(`no pattern for ${name}`);
    checkArgument(name, value, spec);
    params[name] = value;
  }
  return params;
}

function parseQuery(
  request: FastifyRequest,
  specs: Readonly<Record<string, ParamSpec>>,
): Record<string, string> {
  const raw = request.query as Record<string, unknown>;
  const query: Record<string, string> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const value = raw[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw invalidArgument(name, 'must be given once');
    checkArgument(name, value, spec);
    query[name] = value;
  }
  return query;
}

function parseBody(request: FastifyRequest, validate: ValidateFunction | undefined): unknown {
  if (!validate) return undefined;
  const body = request.body;
  if (body === undefined || body === null) {
    throw new ApiError('InputValidationError', 'this endpoint requires a JSON body');
  }
  const problem = findBodyProblem(body);
  if (problem !== undefined) throw new ApiError('InputValidationError', problem);
  if (!validate(body)) {
    throw new ApiError('InputValidationError', describeValidationErrors(validate.errors), {
      schemaErrors: validate.errors?.slice(0, 5).map((e) => ({
        instancePath: e.instancePath,
        keyword: e.keyword,
        message: e.message,
      })),
    });
  }
  return body;
}

async function sendResult(
  reply: FastifyReply,
  result: unknown,
  validateOutput: ValidateFunction | undefined,
  name: string,
): Promise<unknown> {
  if (result instanceof Reply) {
    void reply.code(result.statusCode).headers(result.headers);
    return reply.send(result.body);
  }
  if (validateOutput && !validateOutput(result)) {
    reply.log.error(
      { endpoint: name, errors: validateOutput.errors },
      'response failed its schema',
    );
    throw new Error(`${name} produced a response that does not match its schema`);
  }
  return reply.code(200).send(result ?? {});
}
