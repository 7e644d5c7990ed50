import { generateSigningKey, signingKeyFromPem, type SigningKeyPair } from '@bulwark/attest';
import type { Keyring } from '@bulwark/crypto';
import { queries, withTransaction, type Queryable } from '@bulwark/db';
import type pg from 'pg';

/** Binds a sealed private key to its key id: copied to another row, it does not open (S11). */
const associatedData = (keyId: string): string => `provenance-key:${keyId}`;

/** A public key as verifiers are served it; the private half never leaves this module. */
export interface PublishedKey {
  keyId: string;
  publicKey: string;
  created: string;
  current: boolean;
  retired?: string;
}

/**
 * The control plane's provenance signing keys (Ed25519). Generated here, sealed under
 * the keyring before they reach the database, opened only in this process's memory to
 * sign. Workers and tasks never hold one, and no API answer or log line carries the
 * private half (S1, S17). Rotation retires the current key, which stays published so
 * that provenance it signed still verifies.
 */
export class ProvenanceKeys {
  private readonly opened = new Map<string, SigningKeyPair>();

  constructor(private readonly keyring: Keyring) {}

  /** The current key, opened; makes the first one when the deployment has none. */
  async current(db: Queryable, now: Date): Promise<SigningKeyPair> {
    let row = await queries.provenance.getCurrentKey(db);
    if (!row) {
      // Replicas racing here keep exactly one key: the unique index refuses the others.
      await queries.provenance.insertCurrentKey(db, this.sealNew(), now);
      row = await queries.provenance.getCurrentKey(db);
      if (!row) throw new Error('no current provenance key after creating one');
    }
    return this.open(row.keyId, row.sealedPrivateKey);
  }

  /** Makes a new current key and retires the old one, audited (S14); answers both ids. */
  async rotate(
    pool: pg.Pool,
    now: Date,
    clientId: string,
  ): Promise<{ keyId: string; publicKey: string; retiredKeyId: string | undefined }> {
    return withTransaction(pool, async (db) => {
      const retiredKeyId = await queries.provenance.retireCurrentKey(db, now);
      const fresh = this.sealNew();
      if (!(await queries.provenance.insertCurrentKey(db, fresh, now))) {
        throw new Error('another provenance key became current during the rotation');
      }
      await queries.audit.appendAudit(
        db,
        {
          entityType: 'provenance-key',
          entityId: fresh.keyId,
          action: 'rotated',
          clientId,
          details: { retiredKeyId: retiredKeyId ?? null },
        },
        now,
      );
      return { keyId: fresh.keyId, publicKey: fresh.publicKeyPem, retiredKeyId };
    });
  }

  async published(db: Queryable): Promise<PublishedKey[]> {
    return (await queries.provenance.listKeys(db)).map((row) => ({
      keyId: row.keyId,
      publicKey: row.publicKeyPem,
      created: row.created.toJSON(),
      current: row.retired === null,
      ...(row.retired !== null && { retired: row.retired.toJSON() }),
    }));
  }

  private sealNew(): { keyId: string; publicKeyPem: string; sealedPrivateKey: unknown } {
    const key = generateSigningKey();
    this.opened.set(key.keyId, key);
    return {
      keyId: key.keyId,
      publicKeyPem: key.publicKeyPem,
      sealedPrivateKey: this.keyring.seal(key.exportPrivatePem(), associatedData(key.keyId)),
    };
  }

  private open(keyId: string, sealed: unknown): SigningKeyPair {
    const cached = this.opened.get(keyId);
    if (cached) return cached;
    const key = signingKeyFromPem(this.keyring.openString(sealed, associatedData(keyId)));
    // A row whose public key does not belong to its private key is refused, not used.
    if (key.keyId !== keyId) throw new Error('a stored provenance key does not match its key id');
    this.opened.set(keyId, key);
    return key;
  }
}
