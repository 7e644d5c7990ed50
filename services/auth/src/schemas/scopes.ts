import { dateTimeSchema, scopeListSchema } from './common.js';

export const scopeSetSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['scopes'],
  properties: { scopes: scopeListSchema },
} as const;

export const authenticateHawkRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['method', 'resource', 'host', 'port'],
  properties: {
    method: {
      type: 'string',
      enum: [
        'get',
        'post',
        'put',
        'head',
        'delete',
        'options',
        'trace',
        'copy',
        'lock',
        'mkcol',
        'move',
        'purge',
        'propfind',
        'proppatch',
        'unlock',
        'report',
        'mkactivity',
        'checkout',
        'merge',
        'm-search',
        'notify',
        'subscribe',
        'unsubscribe',
        'patch',
        'search',
        'connect',
      ],
    },
    resource: { type: 'string', maxLength: 8192 },
    host: { type: 'string', maxLength: 255 },
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    authorization: { type: 'string', maxLength: 262144 },
    sourceIp: { type: 'string', maxLength: 64 },
  },
} as const;

export const authenticateHawkResponse = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['status', 'scheme', 'clientId', 'scopes', 'expires'],
      properties: {
        status: { const: 'auth-success' },
        scheme: { const: 'hawk' },
        clientId: { type: 'string' },
        scopes: scopeListSchema,
        expires: dateTimeSchema,
        hash: { type: 'string' },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['status', 'message'],
      properties: { status: { const: 'auth-failed' }, message: { type: 'string' } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['status', 'scheme', 'scopes', 'expires'],
      properties: {
        status: { const: 'no-auth' },
        scheme: { const: 'none' },
        scopes: scopeListSchema,
        expires: dateTimeSchema,
      },
    },
  ],
} as const;

export const testAuthenticateRequest = {
  type: 'object',
  additionalProperties: false,
  properties: {
    clientScopes: scopeListSchema,
    requiredScopes: scopeListSchema,
  },
} as const;

export const testAuthenticateResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['clientId', 'scopes'],
  properties: { clientId: { type: 'string' }, scopes: scopeListSchema },
} as const;

export const auditHistoryResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['auditHistory'],
  properties: {
    auditHistory: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: [
          'seq',
          'created',
          'entityType',
          'entityId',
          'action',
          'clientId',
          'details',
          'hash',
          'prevHash',
        ],
        properties: {
          seq: { type: 'integer' },
          created: dateTimeSchema,
          entityType: { type: 'string' },
          entityId: { type: 'string' },
          action: { type: 'string' },
          clientId: { type: 'string' },
          details: { type: 'object' },
          hash: { type: 'string' },
          prevHash: { type: 'string' },
        },
      },
    },
    continuationToken: { type: 'string' },
  },
} as const;

export const auditVerifyResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['ok', 'checked', 'lastHash'],
  properties: {
    ok: { type: 'boolean' },
    checked: { type: 'integer' },
    brokenAt: { type: 'integer' },
    lastHash: { type: 'string' },
  },
} as const;
