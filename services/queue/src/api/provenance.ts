import { provenanceKeysResponse, rotateProvenanceKeyResponse } from '../schemas/provenance.js';
import { queueApi } from './definition.js';

queueApi.declare({
  name: 'provenanceKeys',
  method: 'GET',
  route: '/provenance/keys',
  output: provenanceKeysResponse,
  scopes: null,
  category: 'Provenance',
  title: 'Provenance Public Keys',
  description: [
    'The Ed25519 public keys with which the control plane signs task provenance (DSSE',
    'envelopes stored as `public/bulwark/provenance.intoto.json`): the current key and every',
    'retired one, so provenance signed before a rotation still verifies. Public: a verifier',
    'needs no credentials. Private keys are never served.',
  ].join(' '),
  async handler(ctx) {
    return { keys: await ctx.provenance.keys.published(ctx.pool) };
  },
});

queueApi.declare({
  name: 'rotateProvenanceKey',
  method: 'POST',
  route: '/provenance/keys/rotate',
  output: rotateProvenanceKeyResponse,
  scopes: 'queue:rotate-provenance-key',
  category: 'Provenance',
  title: 'Rotate the Provenance Key',
  description: [
    'Makes a new current provenance signing key and retires the current one, which stays',
    'published for verifiers. Answers the new public key; the private key never leaves',
    'the control plane.',
  ].join(' '),
  async handler(ctx, req) {
    const rotated = await ctx.provenance.keys.rotate(ctx.pool, ctx.now(), req.caller.clientId);
    return {
      keyId: rotated.keyId,
      publicKey: rotated.publicKey,
      ...(rotated.retiredKeyId !== undefined && { retiredKeyId: rotated.retiredKeyId }),
    };
  },
});
