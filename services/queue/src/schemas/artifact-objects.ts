import type { FromJsonSchema, ParamSpec } from '@bulwark/api';
import { PROJECT_ID, SLUGID, dateTimeSchema } from './common.js';

/** `t/<taskId>/<runId>/<artifact name>`; the handler parses and checks it exactly. */
export const objectNameParam: ParamSpec = { pattern: /^[\x20-\x7e]{1,1100}$/, maxLength: 1100 };
export const uploadTokenParam: ParamSpec = { pattern: /^[A-Za-z0-9_-]{43}$/, maxLength: 43 };

const projectId = { type: 'string', pattern: PROJECT_ID, minLength: 1, maxLength: 500 } as const;
const uploadId = { type: 'string', pattern: SLUGID, maxLength: 22 } as const;

/** Known algorithms are checked; unknown ones are accepted and ignored, as Taskcluster. */
const hashes = {
  type: 'object',
  maxProperties: 8,
  properties: {
    sha256: { type: 'string', pattern: '^[a-z0-9]{64}$', maxLength: 64 },
    sha512: { type: 'string', pattern: '^[a-z0-9]{128}$', maxLength: 128 },
  },
  additionalProperties: { type: 'string', maxLength: 1024 },
} as const;

export type Hashes = FromJsonSchema<typeof hashes>;

export const createUploadRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['projectId', 'uploadId', 'expires', 'proposedUploadMethods'],
  properties: {
    projectId,
    uploadId,
    expires: dateTimeSchema,
    hashes,
    proposedUploadMethods: {
      type: 'object',
      additionalProperties: false,
      properties: {
        dataInline: {
          type: 'object',
          additionalProperties: false,
          required: ['contentType', 'objectData'],
          properties: {
            contentType: { type: 'string', maxLength: 255 },
            objectData: { type: 'string', maxLength: 10926 },
          },
        },
        putUrl: {
          type: 'object',
          additionalProperties: false,
          required: ['contentType', 'contentLength'],
          properties: {
            contentType: { type: 'string', maxLength: 255 },
            contentLength: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
          },
        },
      },
    },
  },
} as const;

export type CreateUploadInput = FromJsonSchema<typeof createUploadRequest>;

export const createUploadResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['projectId', 'uploadId', 'expires', 'uploadMethod'],
  properties: {
    projectId,
    uploadId,
    expires: dateTimeSchema,
    uploadMethod: {
      type: 'object',
      additionalProperties: false,
      maxProperties: 1,
      properties: {
        dataInline: { const: true },
        putUrl: {
          type: 'object',
          additionalProperties: false,
          required: ['url', 'expires', 'headers'],
          properties: {
            url: { type: 'string', maxLength: 8192 },
            expires: dateTimeSchema,
            headers: {
              type: 'object',
              maxProperties: 8,
              additionalProperties: { type: 'string', maxLength: 255 },
            },
          },
        },
      },
    },
  },
} as const;

export const finishUploadRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['projectId', 'uploadId'],
  properties: { projectId, uploadId, hashes },
} as const;

export type FinishUploadInput = FromJsonSchema<typeof finishUploadRequest>;

export const startDownloadRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['acceptDownloadMethods'],
  properties: {
    acceptDownloadMethods: {
      type: 'object',
      additionalProperties: false,
      properties: { simple: { const: true }, getUrl: { const: true } },
    },
  },
} as const;

export type StartDownloadInput = FromJsonSchema<typeof startDownloadRequest>;

export const startDownloadResponse = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['method', 'url'],
      properties: { method: { const: 'simple' }, url: { type: 'string', maxLength: 16384 } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['method', 'url', 'expires', 'hashes'],
      properties: {
        method: { const: 'getUrl' },
        url: { type: 'string', maxLength: 16384 },
        expires: dateTimeSchema,
        hashes: {
          type: 'object',
          additionalProperties: false,
          properties: { sha256: { type: 'string', maxLength: 64 } },
        },
      },
    },
  ],
} as const;
