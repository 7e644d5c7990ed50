import type { ParamSpec } from '@bulwark/api';

export const keyIdParam: ParamSpec = { pattern: /^[a-z0-9][a-z0-9-]{0,63}$/, maxLength: 64 };

const TASK_QUEUE_PATTERN = '^[a-zA-Z0-9-_]{0,38}(/[-a-z0-9]{0,38})?\\*?$';

const policy = {
  type: 'object',
  additionalProperties: false,
  required: ['minLevel', 'replicas', 'taskQueues'],
  properties: {
    minLevel: { type: 'integer', minimum: 1, maximum: 3 },
    replicas: { type: 'integer', minimum: 1, maximum: 5 },
    trustedTaskQueueId: {
      type: 'string',
      pattern: '^[a-zA-Z0-9-_]{1,38}/[-a-z0-9]{1,38}$',
      maxLength: 77,
    },
    taskQueues: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: { type: 'string', pattern: TASK_QUEUE_PATTERN, maxLength: 80 },
    },
  },
} as const;

export const createKeyRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['description', 'policy'],
  properties: { description: { type: 'string', maxLength: 1000 }, policy },
} as const;

export const disableKeyRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { reason: { type: 'string', minLength: 1, maxLength: 1000 } },
} as const;

export const keyResponse = {
  type: 'object',
  additionalProperties: false,
  required: [
    'keyId',
    'description',
    'minisignKeyId',
    'publicKey',
    'publicKeyFile',
    'policy',
    'created',
  ],
  properties: {
    keyId: { type: 'string', pattern: keyIdParam.pattern.source },
    description: { type: 'string', maxLength: 1000 },
    minisignKeyId: { type: 'string', pattern: '^[0-9A-F]{16}$' },
    publicKey: { type: 'string', maxLength: 100, description: 'minisign public key, base64' },
    publicKeyFile: { type: 'string', maxLength: 200, description: 'the minisign.pub text' },
    policy,
    created: { type: 'string', format: 'date-time' },
    disabled: {
      type: 'string',
      format: 'date-time',
      description: 'when the key was disabled: it signs nothing since; old signatures verify',
    },
  },
} as const;

export const listKeysResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['keys'],
  properties: { keys: { type: 'array', maxItems: 1000, items: keyResponse } },
} as const;

export const signRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['taskId', 'artifact'],
  properties: {
    taskId: {
      type: 'string',
      maxLength: 22,
      pattern: '^[A-Za-z0-9_-]{8}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]$',
    },
    artifact: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[\\x20-\\x7e]+$' },
  },
} as const;

export const signResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['keyId', 'minisignKeyId', 'taskId', 'artifact', 'sha256', 'signature'],
  properties: {
    keyId: keyResponse.properties.keyId,
    minisignKeyId: keyResponse.properties.minisignKeyId,
    taskId: signRequest.properties.taskId,
    artifact: signRequest.properties.artifact,
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    signature: {
      type: 'string',
      maxLength: 2000,
      description: 'the .minisig file, for minisign -V',
    },
  },
} as const;
