import { isDeepStrictEqual } from 'node:util';
import { conflict, notFound } from '@bulwark/api';
import { generateMinisignKey, minisignKeyFromPem, type MinisignKey } from '@bulwark/attest';
import type { Keyring } from '@bulwark/crypto';
import { queries, withTransaction } from '@bulwark/db';
import type { SigningContext } from './context.js';
import type { SigningPolicy } from './policy.js';

type SigningKeyRow = queries.signing.SigningKeyRow;

/** Binds a sealed private key to its key's name: copied to another row, it does not open (S11). */
const associatedData = (keyId: string): string => `signing-key:${keyId}`;

/** A key as served: public parts and policy only, never the private key (S1). */
export interface SigningKeyJson {
  keyId: string;
  description: string;
  minisignKeyId: string;
  publicKey: string;
  publicKeyFile: string;
  policy: SigningPolicy;
  created: string;
  /** Present once the key is disabled; its public key stays served for old signatures. */
  disabled?: string;
}

export function keyJson(row: SigningKeyRow): SigningKeyJson {
  const displayed = Buffer.from(row.minisignKeyId, 'hex').reverse().toString('hex').toUpperCase();
  return {
    keyId: row.keyId,
    description: row.description,
    minisignKeyId: displayed,
    publicKey: row.publicKey,
    publicKeyFile: `untrusted comment: minisign public key ${displayed}\n${row.publicKey}\n`,
    policy: row.policy as unknown as SigningPolicy,
    created: row.created.toJSON(),
    ...(row.disabled && { disabled: row.disabled.at.toJSON() }),
  };
}

export function openSigningKey(keyring: Keyring, row: SigningKeyRow): MinisignKey {
  const pem = keyring.openString(row.sealedPrivateKey, associatedData(row.keyId));
  return minisignKeyFromPem(pem, row.minisignKeyId);
}

/**
 * Creates a release key with its policy, audited (S14). Asking again for the same
 * description and policy is harmless; anything else under a taken name is a conflict:
 * a key's policy never changes, so a signature always means what it meant when made.
 */
export async function createSigningKey(
  ctx: SigningContext,
  keyId: string,
  input: { description: string; policy: SigningPolicy },
  callerId: string,
): Promise<SigningKeyJson> {
  const key = generateMinisignKey();
  const row: SigningKeyRow = {
    keyId,
    description: input.description,
    minisignKeyId: key.keyIdBytes.toString('hex'),
    publicKey: key.publicKeyBase64,
    sealedPrivateKey: ctx.keyring.seal(key.exportPrivatePem(), associatedData(keyId)),
    policy: input.policy as unknown as Record<string, unknown>,
    created: ctx.now(),
  };
  return withTransaction(ctx.pool, async (db) => {
    if (!(await queries.signing.insertSigningKey(db, row))) {
      const existing = await queries.signing.getSigningKey(db, keyId);
      if (
        !existing ||
        existing.description !== input.description ||
        !isDeepStrictEqual(existing.policy, row.policy)
      ) {
        throw conflict(`Signing key ${keyId} exists with another description or policy`);
      }
      return keyJson(existing);
    }
    await queries.audit.appendAudit(
      db,
      {
        entityType: 'signing-key',
        entityId: keyId,
        action: 'created',
        clientId: callerId,
        details: { policy: input.policy, minisignKeyId: row.minisignKeyId },
      },
      row.created,
    );
    return keyJson(row);
  });
}

/**
 * Disables a key for good, audited (S14): it signs nothing from now on, on every replica
 * (the signing path reads the row each time), while its public key stays served so that
 * what it signed before still verifies. Disabling a disabled key changes nothing.
 */
export async function disableSigningKey(
  ctx: SigningContext,
  keyId: string,
  reason: string,
  callerId: string,
): Promise<SigningKeyJson> {
  return withTransaction(ctx.pool, async (db) => {
    const at = ctx.now();
    if (await queries.signing.disableSigningKey(db, keyId, callerId, at)) {
      await queries.audit.appendAudit(
        db,
        {
          entityType: 'signing-key',
          entityId: keyId,
          action: 'disabled',
          clientId: callerId,
          details: { reason },
        },
        at,
      );
    }
    const row = await queries.signing.getSigningKey(db, keyId);
    if (!row) throw notFound('Signing key');
    return keyJson(row);
  });
}
