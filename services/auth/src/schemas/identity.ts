import { CHALLENGE_PATTERN, VERIFIER_PATTERN } from '../domain/identity/attempts.js';
import { MAX_SESSION_SECONDS } from '../domain/identity/provider-settings.js';
import { dateTimeSchema, MAX_DESCRIPTION, scopeListSchema } from './common.js';

const url = {
  type: 'string',
  minLength: 8,
  maxLength: 2048,
  pattern: '^https?://[\\x21-\\x7e]+$',
} as const;
const claimName = {
  type: 'string',
  minLength: 1,
  maxLength: 128,
  pattern: '^[\\x21-\\x7e]+$',
} as const;
const printable = (max: number) =>
  ({ type: 'string', minLength: 1, maxLength: max, pattern: '^[\\x20-\\x7e]+$' }) as const;

const providerFields = {
  description: { type: 'string', maxLength: MAX_DESCRIPTION },
  displayName: printable(64),
  issuer: url,
  clientId: printable(256),
  userClaim: claimName,
  groupsClaim: claimName,
  audiences: { type: 'array', items: printable(256), maxItems: 20, uniqueItems: true },
  scopes: {
    type: 'array',
    items: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' },
    maxItems: 20,
    uniqueItems: true,
  },
  maxSessionSeconds: { type: 'integer', minimum: 60, maximum: MAX_SESSION_SECONDS },
  redirectUris: { type: 'array', items: url, maxItems: 20, uniqueItems: true },
} as const;

/** The client secret is written, never read back (S1, S11). */
const clientSecret = { type: 'string', minLength: 1, maxLength: 1024 } as const;

export const createIdentityProviderRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['description', 'issuer', 'clientId', 'clientSecret'],
  properties: { ...providerFields, clientSecret },
} as const;

/** As create, but the secret may be left out to keep the one stored. */
export const updateIdentityProviderRequest = {
  ...createIdentityProviderRequest,
  required: ['description', 'issuer', 'clientId'],
} as const;

export const identityProviderResponse = {
  type: 'object',
  additionalProperties: false,
  required: [
    'name',
    'description',
    'displayName',
    'issuer',
    'clientId',
    'userClaim',
    'audiences',
    'scopes',
    'maxSessionSeconds',
    'redirectUris',
    'clientSecretSet',
    'created',
    'lastModified',
  ],
  properties: {
    ...providerFields,
    name: { type: 'string' },
    clientSecretSet: { type: 'boolean' },
    created: dateTimeSchema,
    lastModified: dateTimeSchema,
  },
} as const;

export const listIdentityProvidersResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['providers'],
  properties: {
    providers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'displayName'],
        properties: { name: { type: 'string' }, displayName: { type: 'string' } },
      },
    },
  },
} as const;

const finishChallenge = { type: 'string', pattern: CHALLENGE_PATTERN, maxLength: 43 } as const;
const finishVerifier = { type: 'string', pattern: VERIFIER_PATTERN, maxLength: 128 } as const;
const handle = { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$', maxLength: 43 } as const;

export const startSignInRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['redirectUri', 'finishChallenge'],
  properties: { redirectUri: url, finishChallenge },
} as const;

export const startSignInResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['state', 'authorizationUrl', 'expires'],
  properties: {
    state: { type: 'string' },
    authorizationUrl: { type: 'string' },
    expires: dateTimeSchema,
  },
} as const;

export const finishSignInRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['state', 'code', 'finishVerifier'],
  properties: {
    state: handle,
    code: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^[\\x21-\\x7e]+$' },
    finishVerifier,
  },
} as const;

const signedInFields = {
  provider: { type: 'string' },
  identity: { type: 'string' },
  credentials: {
    type: 'object',
    additionalProperties: false,
    required: ['clientId', 'accessToken', 'certificate'],
    properties: {
      clientId: { type: 'string' },
      accessToken: { type: 'string' },
      certificate: { type: 'string' },
    },
  },
  expires: dateTimeSchema,
  groups: { type: 'array', items: { type: 'string' } },
  roles: { type: 'array', items: { type: 'string' } },
  scopes: scopeListSchema,
} as const;

export const signedInResponse = {
  type: 'object',
  additionalProperties: false,
  required: Object.keys(signedInFields) as (keyof typeof signedInFields)[],
  properties: signedInFields,
} as const;

export const startDeviceSignInRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['finishChallenge'],
  properties: { finishChallenge },
} as const;

export const startDeviceSignInResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['deviceRequest', 'userCode', 'verificationUri', 'interval', 'expires'],
  properties: {
    deviceRequest: { type: 'string' },
    userCode: { type: 'string' },
    verificationUri: { type: 'string' },
    verificationUriComplete: { type: 'string' },
    interval: { type: 'integer' },
    expires: dateTimeSchema,
  },
} as const;

export const pollDeviceSignInRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['deviceRequest', 'finishVerifier'],
  properties: { deviceRequest: handle, finishVerifier },
} as const;

/** `pending` with the interval to wait, or `signed-in` with everything finishSignIn answers. */
export const pollDeviceSignInResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['pending', 'signed-in'] },
    interval: { type: 'integer' },
    ...signedInFields,
  },
} as const;

export const signOutResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['clientId', 'signedOut'],
  properties: { clientId: { type: 'string' }, signedOut: { type: 'boolean' } },
} as const;

export const revokeLoginsResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['revoked'],
  properties: { revoked: { type: 'integer' } },
} as const;
