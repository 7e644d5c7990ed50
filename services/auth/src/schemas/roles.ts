import {
  dateTimeSchema,
  MAX_DESCRIPTION,
  scopeListSchema,
  uniqueScopeListSchema,
} from './common.js';

export const createRoleRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['scopes', 'description'],
  properties: {
    scopes: uniqueScopeListSchema,
    description: { type: 'string', maxLength: MAX_DESCRIPTION },
  },
} as const;

/** Taskcluster's update, plus the optional `lastModified` precondition (see clients). */
export const updateRoleRequest = {
  ...createRoleRequest,
  properties: { ...createRoleRequest.properties, lastModified: dateTimeSchema },
} as const;

export const getRoleResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['roleId', 'scopes', 'description', 'created', 'lastModified', 'expandedScopes'],
  properties: {
    roleId: { type: 'string' },
    scopes: scopeListSchema,
    description: { type: 'string' },
    created: dateTimeSchema,
    lastModified: dateTimeSchema,
    expandedScopes: scopeListSchema,
  },
} as const;

export const listRolesResponse = { type: 'array', items: getRoleResponse } as const;

export const listRoles2Response = {
  type: 'object',
  additionalProperties: false,
  required: ['roles'],
  properties: {
    roles: { type: 'array', items: getRoleResponse },
    continuationToken: { type: 'string' },
  },
} as const;

export const listRoleIdsResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['roleIds'],
  properties: {
    roleIds: { type: 'array', items: { type: 'string' } },
    continuationToken: { type: 'string' },
  },
} as const;
