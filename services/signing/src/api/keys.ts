import { notFound } from '@bulwark/api';
import { queries } from '@bulwark/db';
import { createSigningKey, disableSigningKey, keyJson } from '../domain/keys.js';
import { signArtifact } from '../domain/sign.js';
import * as schemas from '../schemas/signing.js';
import { signingApi } from './definition.js';

signingApi.declare({
  name: 'createKey',
  method: 'PUT',
  route: '/key/<keyId>',
  params: { keyId: schemas.keyIdParam },
  input: schemas.createKeyRequest,
  output: schemas.keyResponse,
  scopes: 'signing:create-key:<keyId>',
  title: 'Create a Signing Key',
  description: [
    'Makes a minisign (Ed25519) key with its policy; the private key is sealed and never',
    'leaves the service. The same request again is harmless; a different one is a 409: a',
    'key’s policy never changes.',
  ].join(' '),
  async handler(ctx, req) {
    // The schema holds minLevel to the integers 1 to 3, which its type can only say as number.
    const policy = { ...req.body.policy, minLevel: req.body.policy.minLevel as 1 | 2 | 3 };
    return createSigningKey(
      ctx,
      req.params.keyId,
      { description: req.body.description, policy },
      req.caller.clientId,
    );
  },
});

signingApi.declare({
  name: 'disableKey',
  method: 'POST',
  route: '/key/<keyId>/disable',
  params: { keyId: schemas.keyIdParam },
  input: schemas.disableKeyRequest,
  output: schemas.keyResponse,
  scopes: 'signing:manage-key:<keyId>',
  title: 'Disable a Signing Key',
  description: [
    'Disables the key for good: it signs nothing from now on. Its public key is still',
    'served, marked `disabled`, so what it signed before still verifies. Audited with the',
    'reason. Disabling a disabled key changes nothing; to sign again, create a new key.',
  ].join(' '),
  async handler(ctx, req) {
    return disableSigningKey(ctx, req.params.keyId, req.body.reason, req.caller.clientId);
  },
});

signingApi.declare({
  name: 'key',
  method: 'GET',
  route: '/key/<keyId>',
  params: { keyId: schemas.keyIdParam },
  output: schemas.keyResponse,
  scopes: null,
  title: 'Get a Signing Key',
  description: 'The key’s public key (minisign), its policy and when it was made. Public.',
  async handler(ctx, req) {
    const row = await queries.signing.getSigningKey(ctx.pool, req.params.keyId);
    if (!row) throw notFound('Signing key');
    return keyJson(row);
  },
});

signingApi.declare({
  name: 'listKeys',
  method: 'GET',
  route: '/keys',
  output: schemas.listKeysResponse,
  scopes: null,
  title: 'List Signing Keys',
  description: 'Every signing key’s public key and policy, for verifiers. Public.',
  async handler(ctx) {
    return { keys: (await queries.signing.listSigningKeys(ctx.pool)).map(keyJson) };
  },
});

signingApi.declare({
  name: 'sign',
  method: 'POST',
  route: '/sign/<keyId>',
  params: { keyId: schemas.keyIdParam },
  input: schemas.signRequest,
  output: schemas.signResponse,
  scopes: 'signing:sign:<keyId>',
  title: 'Sign an Artifact',
  description: [
    'Signs the artifact of the task’s latest run with the key, when the task’s provenance',
    'verifies, names this content under this name, and meets the key’s policy; otherwise',
    '409 `RequestConflict` with the reason. Answers the minisign signature file, whose',
    'trusted comment names the task, the artifact, its sha256 and the key.',
  ].join(' '),
  async handler(ctx, req) {
    return signArtifact(ctx, {
      keyId: req.params.keyId,
      ...req.body,
      callerId: req.caller.clientId,
    });
  },
});
