import type { FromJsonSchema, ParamSpec } from '@bulwark/api';
import { MAX_PAGE } from '../domain/pagination.js';
import { MAX_ARTIFACT_NAME_LENGTH } from '../domain/artifact-names.js';
import { SLUGID, dateTimeSchema } from './common.js';

/**
 * S12 in the route itself: printable ASCII, no leading `/`, no empty, `.` or `..`
 * segment. Refused before authentication, so a bad name changes nothing.
 */
export const ARTIFACT_NAME_PATTERN =
  /^(?!\/)(?!.*\/\/)(?!.*\/$)(?!(?:.*\/)?\.\.?(?:\/|$))[\x20-\x7e]{1,1024}$/s;

export const artifactNameParam: ParamSpec = {
  pattern: ARTIFACT_NAME_PATTERN,
  maxLength: MAX_ARTIFACT_NAME_LENGTH,
};

const contentType = { type: 'string', maxLength: 255 } as const;
const contentLength = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const ERROR_REASONS = [
  'file-missing-on-worker',
  'invalid-resource-on-worker',
  'too-large-file-on-worker',
  'file-not-readable-on-worker',
] as const;
export type ErrorArtifactReason = (typeof ERROR_REASONS)[number];

/** Taskcluster's post-artifact-request: one shape per storage type. */
export const createArtifactRequest = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['storageType', 'expires', 'contentType'],
      properties: {
        storageType: { enum: ['object', 's3'] },
        expires: dateTimeSchema,
        contentType,
        contentLength,
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['storageType', 'expires', 'url', 'contentType'],
      properties: {
        storageType: { const: 'reference' },
        expires: dateTimeSchema,
        contentType,
        url: { type: 'string', format: 'uri', maxLength: 8192 },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['storageType', 'expires', 'artifact'],
      properties: {
        storageType: { const: 'link' },
        expires: dateTimeSchema,
        contentType,
        artifact: { type: 'string', maxLength: MAX_ARTIFACT_NAME_LENGTH },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['storageType', 'expires', 'reason', 'message'],
      properties: {
        storageType: { const: 'error' },
        expires: dateTimeSchema,
        reason: { enum: ERROR_REASONS },
        message: { type: 'string', maxLength: 4096 },
      },
    },
  ],
} as const;

export type CreateArtifactInput = FromJsonSchema<typeof createArtifactRequest>;

const credentialsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['clientId', 'accessToken', 'certificate'],
  properties: {
    clientId: { type: 'string', maxLength: 4096 },
    accessToken: { type: 'string', maxLength: 4096 },
    certificate: { type: 'string', maxLength: 65536 },
  },
} as const;

export const createArtifactResponse = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['storageType', 'name', 'projectId', 'uploadId', 'expires', 'credentials'],
      properties: {
        storageType: { const: 'object' },
        name: { type: 'string', maxLength: 2048 },
        projectId: { type: 'string', maxLength: 500 },
        uploadId: { type: 'string', pattern: SLUGID, maxLength: 22 },
        expires: dateTimeSchema,
        credentials: credentialsSchema,
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['storageType', 'putUrl', 'expires', 'contentType'],
      properties: {
        storageType: { const: 's3' },
        putUrl: { type: 'string', maxLength: 8192 },
        expires: dateTimeSchema,
        contentType,
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['storageType'],
      properties: { storageType: { enum: ['reference', 'link', 'error'] } },
    },
  ],
} as const;

export const finishArtifactRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['uploadId'],
  properties: { uploadId: { type: 'string', pattern: SLUGID, maxLength: 22 } },
} as const;

export const artifactSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['storageType', 'name', 'expires', 'contentType'],
  properties: {
    storageType: { enum: ['s3', 'object', 'reference', 'link', 'error'] },
    name: { type: 'string', maxLength: MAX_ARTIFACT_NAME_LENGTH },
    expires: dateTimeSchema,
    contentType,
    contentLength,
  },
} as const;

export const listArtifactsResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['artifacts'],
  properties: {
    artifacts: { type: 'array', maxItems: MAX_PAGE, items: artifactSchema },
    continuationToken: { type: 'string', maxLength: 1400 },
  },
} as const;

/** getArtifact's 303 body (its 424 for error artifacts is sent as a Reply). */
export const getArtifactResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['storageType', 'url'],
  properties: {
    storageType: { enum: ['s3', 'object', 'reference'] },
    url: { type: 'string', maxLength: 16384 },
  },
} as const;

/** Taskcluster's artifact-content-response. */
export const artifactContentResponse = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['storageType', 'url'],
      properties: {
        storageType: { enum: ['s3', 'reference'] },
        url: { type: 'string', maxLength: 16384 },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['storageType', 'name', 'credentials'],
      properties: {
        storageType: { const: 'object' },
        name: { type: 'string', maxLength: 2048 },
        credentials: credentialsSchema,
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['storageType', 'reason', 'message'],
      properties: {
        storageType: { const: 'error' },
        reason: { type: 'string', maxLength: 64 },
        message: { type: 'string', maxLength: 4096 },
      },
    },
  ],
} as const;

/** Artifact names run to 1024 characters, so their continuation tokens are longer than most. */
export const artifactPageQuery = {
  continuationToken: { pattern: /^[A-Za-z0-9_-]{1,1400}$/, maxLength: 1400 },
  limit: { pattern: /^[0-9]{1,4}$/, maxLength: 4 },
} as const satisfies Record<string, ParamSpec>;
