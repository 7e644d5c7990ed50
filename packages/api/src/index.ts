export { ApiDefinition, routeParameters, type ApiDefinitionOptions } from './api-definition.js';
export type { Authenticator, AuthenticationResult, HawkRequestInfo } from './authenticator.js';
export { authorizeCaller, insufficientScopes } from './authorization.js';
export { decodeContinuationToken, encodeContinuationToken } from './continuation.js';
export {
  Reply,
  type ApiRequest,
  type Caller,
  type EndpointDeclaration,
  type HttpMethod,
  type ParamSpec,
} from './endpoint.js';
export {
  ApiError,
  ERROR_STATUS,
  conflict,
  inputError,
  isApiError,
  notFound,
  type ErrorCode,
} from './errors.js';
export { hawkRequestInfo } from './hawk-request.js';
export { RemoteAuthenticator } from './remote-authenticator.js';
export { createLogger, REDACTED_PATHS, type Logger } from './logger.js';
export { mountApi, type MountOptions } from './mount.js';
export { apiReference, openApiDocument } from './references.js';
export {
  ExchangesDefinition,
  exchangeSchemas,
  exchangesReference,
  type ExchangeDeclaration,
  type ExchangesDefinitionOptions,
  type RoutingKeyPart,
} from './exchanges-reference.js';
export {
  mountReferences,
  rootReferences,
  type ReferenceSource,
  type RootReferences,
} from './root-references.js';
export {
  endpointSchemas,
  kebabCase,
  schemaDocument,
  schemaId,
  SCHEMA_DRAFT,
  type EndpointSchemaNames,
  type ServiceSchemas,
} from './schema-ids.js';
export type {
  BodyFrom,
  FromJsonSchema,
  OutputFrom,
  ParamsFrom,
  ParamSpecs,
  QueryFrom,
  TypedEndpointDeclaration,
} from './endpoint-types.js';
export { assertBoundedSchema, createAjv, type JsonSchema } from './schemas.js';
export { CORS_HEADERS, CORS_PREFIXES } from './cors.js';
export { createApiServer, type ApiServerOptions } from './server.js';
export { composePlatform, type ComposedPlatform, type ComposeOptions } from './compose.js';
export type {
  AuthorityPlugin,
  MountContext,
  PlatformServices,
  RunningAuthority,
  RunningService,
  ServiceClientCredentials,
  ServicePlugin,
} from './service-plugin.js';
