import type { ParamSpec } from '@bulwark/api';

/** Every scope is printable ASCII; the length cap keeps a single request bounded (S10). */
export const MAX_SCOPE_LENGTH = 4096;
export const MAX_SCOPES = 5000;
export const MAX_DESCRIPTION = 10240;

export const scopeSchema = {
  type: 'string',
  pattern: '^[\\x20-\\x7e]*$',
  maxLength: MAX_SCOPE_LENGTH,
} as const;

export const scopeListSchema = {
  type: 'array',
  items: scopeSchema,
  maxItems: MAX_SCOPES,
} as const;

export const uniqueScopeListSchema = { ...scopeListSchema, uniqueItems: true } as const;

export const dateTimeSchema = { type: 'string', format: 'date-time' } as const;

export const CLIENT_ID_PATTERN = /^[A-Za-z0-9!@/:.+|_-]+$/;
export const ROLE_ID_PATTERN = /^[\x20-\x7e]+$/;

export const clientIdParam: ParamSpec = { pattern: CLIENT_ID_PATTERN, maxLength: 256 };
export const roleIdParam: ParamSpec = { pattern: ROLE_ID_PATTERN, maxLength: 1024 };
export const limitQuery: ParamSpec = { pattern: /^[0-9]{1,4}$/, maxLength: 4 };
export const continuationQuery: ParamSpec = { pattern: /^[A-Za-z0-9_-]{1,2048}$/, maxLength: 2048 };
export const prefixQuery: ParamSpec = { pattern: CLIENT_ID_PATTERN, maxLength: 256 };

/** Page size: the caller's `limit` clamped to 1..max (Taskcluster's lists cap at 1000). */
export function pageLimit(limit: string | undefined, fallback: number, max = 1000): number {
  const n = limit === undefined ? fallback : Number(limit);
  return Math.min(Math.max(n, 1), max);
}
