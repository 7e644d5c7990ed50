import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { ApiRequest, EndpointDeclaration, ParamSpec, Reply } from './endpoint.js';
import type { JsonSchema } from './schemas.js';

/** The route or query parameters an endpoint declares, by name. */
export type ParamSpecs = Readonly<Record<string, ParamSpec>>;

/** Every declared route parameter is present, decoded and checked against its pattern. */
export type ParamsFrom<TSpecs extends ParamSpecs> = { readonly [K in keyof TSpecs]: string };

/** A declared query parameter is present only when the caller sent it. */
export type QueryFrom<TSpecs extends ParamSpecs> = { readonly [K in keyof TSpecs]?: string };

/**
 * The value a JSON schema accepts, derived by `json-schema-to-ts` from the schema's
 * `as const` literal type. A schema typed only as `JsonSchema` (not a literal) derives
 * `unknown`, so a handler must check what it reads.
 */
export type FromJsonSchema<TSchema> = TSchema extends JSONSchema
  ? FromSchema<TSchema, { parseNotKeyword: false }>
  : unknown;

/** The body a handler receives: `undefined` when the endpoint takes no input. */
export type BodyFrom<TInput extends JsonSchema | undefined> = [TInput] extends [undefined]
  ? undefined
  : FromJsonSchema<TInput>;

/** What a handler may return: its output schema's value, or a Reply (redirect, status, stream). */
export type OutputFrom<TOutput extends JsonSchema | undefined> = [TOutput] extends [undefined]
  ? unknown
  : FromJsonSchema<TOutput> | Reply;

/**
 * An endpoint declaration whose handler's parameter, query, body and result types are
 * derived from the declaration itself: the route and query parameter specs and the
 * input and output schemas. A schema change the handler does not follow fails to compile.
 */
// The schema parameters are declared invariant: left to be measured, their variance
// would be computed by expanding the derived types of marker schemas, which never ends.
export interface TypedEndpointDeclaration<
  TContext,
  in out TParams extends ParamSpecs,
  in out TQuery extends ParamSpecs,
  in out TInput extends JsonSchema | undefined,
  in out TOutput extends JsonSchema | undefined,
> extends Omit<EndpointDeclaration<TContext>, 'params' | 'query' | 'input' | 'output' | 'handler'> {
  params?: TParams;
  query?: TQuery;
  input?: TInput;
  output?: TOutput;
  handler(
    this: void,
    ctx: TContext,
    req: ApiRequest<ParamsFrom<TParams>, BodyFrom<TInput>, QueryFrom<TQuery>>,
  ): Promise<OutputFrom<TOutput>>;
}
