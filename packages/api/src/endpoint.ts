import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { ScopeExpression, ScopeTemplate } from '@bulwark/scopes';
import type { JsonSchema } from './schemas.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** A route parameter: the pattern its (decoded) value must match, checked before auth. */
export interface ParamSpec {
  pattern: RegExp;
  /** Upper bound on the decoded length; every string input is bounded (S10). */
  maxLength: number;
}

/** What the authentication step established about the caller. */
export interface Caller {
  /** Authenticated client id, or `anonymous`. */
  readonly clientId: string;
  /** Expanded effective scopes (always including the anonymous role's). */
  readonly scopes: readonly string[];
  readonly expires: Date | undefined;
  readonly authenticated: boolean;
}

export interface ApiRequest<TParams, TBody, TQuery> {
  readonly params: TParams;
  readonly body: TBody;
  readonly query: TQuery;
  readonly caller: Caller;
  readonly log: FastifyBaseLogger;
  readonly raw: FastifyRequest;
  readonly reply: FastifyReply;
  /**
   * Checks the endpoint's scope template rendered with `params` and throws
   * InsufficientScopes when the caller lacks them. Endpoints whose template needs
   * more than URL parameters must call this before acting (fail closed).
   */
  authorize(params: Readonly<Record<string, unknown>>): void;
  /** True when the caller's scopes satisfy the expression; for optional behaviour only. */
  satisfies(expression: ScopeExpression): boolean;
}

/**
 * A non-JSON-200 answer: a redirect, a status other than 200, extra headers, or a
 * stream. Handlers return it instead of a plain output object.
 */
export class Reply {
  constructor(
    readonly statusCode: number,
    readonly body: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}
}

// `any` here keeps the registry of heterogeneous endpoints assignable; each
// declaration is still checked against its own type parameters when written.
/* eslint-disable @typescript-eslint/no-explicit-any */
export interface EndpointDeclaration<TContext, TParams = any, TBody = any, TQuery = any> {
  /** Taskcluster's function name, e.g. `createClient`; unique within a service. */
  name: string;
  method: HttpMethod;
  /** Route with `<param>` placeholders, relative to `/api/<service>/<version>`. */
  route: string;
  /** Name of the last route parameter when it may contain `/` (secret and artifact names). */
  wildcardParam?: string;
  title: string;
  description: string;
  category?: string;
  stability?: 'stable' | 'experimental' | 'deprecated';
  /**
   * Scope template. `null` marks a public endpoint: no authentication is attempted.
   * When every parameter of the template is a route parameter, authorization happens
   * before the handler runs; otherwise the handler must call `req.authorize(...)`.
   */
  scopes: ScopeTemplate | null;
  params?: Readonly<Record<string, ParamSpec>>;
  query?: Readonly<Record<string, ParamSpec>>;
  input?: JsonSchema;
  output?: JsonSchema;
  /** Fields of the input to replace with `(OMITTED)` in error bodies and logs. */
  sensitiveInputFields?: readonly string[];
  handler(this: void, ctx: TContext, req: ApiRequest<TParams, TBody, TQuery>): Promise<unknown>;
}
/* eslint-enable @typescript-eslint/no-explicit-any */
