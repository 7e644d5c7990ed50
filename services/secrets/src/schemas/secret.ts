import type { ParamSpec } from '@bulwark/api';

/**
 * Largest accepted value: 64 KiB of JSON (UTF-8 bytes of `JSON.stringify(secret)`,
 * what gets sealed). JSON schema cannot measure bytes, so the set handler checks it
 * and answers 413 InputTooLarge.
 */
export const MAX_SECRET_BYTES = 64 * 1024;

const dateTime = { type: 'string', format: 'date-time' } as const;

/**
 * Any JSON object. The byte limit above is the real bound; `maxProperties` is only
 * there because every input schema must bound its objects (S10). It is out of
 * reach: the smallest member (`"":0,`) takes 5 bytes, so an object with this many
 * is over 10 MiB, a body the API server already refuses as too large. An oversized
 * value is therefore always refused with 413, never as malformed.
 */
const secretValue = {
  type: 'object',
  maxProperties: 2 * 1024 * 1024,
  description: 'The secret value: any JSON object, at most 64 KiB serialized.',
} as const;

export const setSecretRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['secret', 'expires'],
  properties: {
    secret: secretValue,
    expires: { ...dateTime, description: 'When the secret expires; it is gone after that.' },
  },
} as const;

export const getSecretResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['secret', 'expires'],
  properties: { secret: { type: 'object' }, expires: dateTime },
} as const;

export const emptyResponse = {
  type: 'object',
  additionalProperties: false,
  properties: {},
} as const;

export const listSecretsResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['secrets'],
  properties: {
    secrets: { type: 'array', items: { type: 'string' } },
    continuationToken: { type: 'string' },
  },
} as const;

export const MAX_PAGE = 1000;
export const limitQuery: ParamSpec = { pattern: /^[0-9]{1,4}$/, maxLength: 4 };
/** base64url of the last name of the previous page (at most 1024 bytes, so 1366 characters). */
export const continuationQuery: ParamSpec = { pattern: /^[A-Za-z0-9_-]{1,1366}$/, maxLength: 1366 };
