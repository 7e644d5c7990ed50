import { dateTimeSchema } from './common.js';

const publishedKey = {
  type: 'object',
  additionalProperties: false,
  required: ['keyId', 'publicKey', 'created', 'current'],
  properties: {
    keyId: {
      type: 'string',
      pattern: '^[0-9a-f]{64}$',
      description: 'sha256 of the raw Ed25519 public key, hex: the `keyid` of DSSE signatures',
    },
    publicKey: {
      type: 'string',
      maxLength: 1024,
      description: 'The Ed25519 public key, SubjectPublicKeyInfo PEM',
    },
    created: dateTimeSchema,
    current: { type: 'boolean', description: 'True for the key that signs new provenance' },
    retired: { ...dateTimeSchema, description: 'When it stopped signing; it still verifies' },
  },
} as const;

export const provenanceKeysResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['keys'],
  properties: {
    keys: { type: 'array', maxItems: 1000, items: publishedKey },
  },
} as const;

export const rotateProvenanceKeyResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['keyId', 'publicKey'],
  properties: {
    keyId: publishedKey.properties.keyId,
    publicKey: publishedKey.properties.publicKey,
    retiredKeyId: { ...publishedKey.properties.keyId, description: 'The key it replaced' },
  },
} as const;
