import {
  dateTimeSchema,
  MAX_DESCRIPTION,
  scopeListSchema,
  uniqueScopeListSchema,
} from './common.js';

export const createClientRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['expires', 'description'],
  properties: {
    expires: dateTimeSchema,
    description: { type: 'string', maxLength: MAX_DESCRIPTION },
    scopes: uniqueScopeListSchema,
    deleteOnExpiration: { type: 'boolean' },
  },
} as const;

/**
 * Taskcluster's update, plus an optional `lastModified`: when given, the update applies
 * only if the client was not changed since (a Bulwark extension for read-modify-write).
 */
export const updateClientRequest = {
  ...createClientRequest,
  properties: { ...createClientRequest.properties, lastModified: dateTimeSchema },
} as const;

const clientFields = {
  clientId: { type: 'string' },
  description: { type: 'string' },
  expires: dateTimeSchema,
  created: dateTimeSchema,
  lastModified: dateTimeSchema,
  lastDateUsed: dateTimeSchema,
  lastRotated: dateTimeSchema,
  scopes: scopeListSchema,
  expandedScopes: scopeListSchema,
  disabled: { type: 'boolean' },
  deleteOnExpiration: { type: 'boolean' },
} as const;

// Typed as the field names, so the derived response type has every field required.
const clientRequired = Object.keys(clientFields) as (keyof typeof clientFields)[];

export const getClientResponse = {
  type: 'object',
  additionalProperties: false,
  required: clientRequired,
  properties: clientFields,
} as const;

export const createClientResponse = {
  type: 'object',
  additionalProperties: false,
  required: [...clientRequired, 'accessToken'],
  properties: {
    ...clientFields,
    accessToken: { type: 'string', pattern: '^[a-zA-Z0-9_-]{22,66}$' },
  },
} as const;

export const listClientResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['clients'],
  properties: {
    clients: { type: 'array', items: getClientResponse },
    continuationToken: { type: 'string' },
  },
} as const;
