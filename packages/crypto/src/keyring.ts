import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** A ciphertext as stored (as JSON) in the database. */
export interface SealedValue {
  /** Format version; bumps if the construction ever changes. */
  v: 1;
  /** Id of the key that sealed it, so old rows stay readable after rotation. */
  kid: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

export interface KeyringKey {
  id: string;
  /** 32 bytes, base64. */
  key: string;
}

export class KeyringError extends Error {
  override readonly name = 'KeyringError';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_KEYRING';
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * AES-256-GCM under a rotatable set of keys (S11). The last key seals new values;
 * every key opens values it sealed. The caller binds each value to its purpose
 * with associated data (e.g. `client:<clientId>`), so a ciphertext copied to
 * another row fails to open instead of yielding someone else's token.
 */
export class Keyring {
  private readonly keys: ReadonlyMap<string, Buffer>;
  readonly currentKeyId: string;

  constructor(keys: readonly KeyringKey[]) {
    if (keys.length === 0) throw new KeyringError('a keyring needs at least one key');
    const map = new Map<string, Buffer>();
    for (const { id, key } of keys) {
      if (!KEY_ID.test(id)) throw new KeyringError(`invalid key id ${JSON.stringify(id)}`);
      if (map.has(id)) throw new KeyringError(`duplicate key id ${id}`);
      const bytes = Buffer.from(key, 'base64');
      if (bytes.length !== KEY_BYTES) throw new KeyringError(`key ${id} is not 32 bytes of base64`);
      map.set(id, bytes);
    }
    this.keys = map;
    this.currentKeyId = keys[keys.length - 1]!.id;
  }

  static generateKey(id: string): KeyringKey {
    return { id, key: randomBytes(KEY_BYTES).toString('base64') };
  }

  seal(plaintext: string | Buffer, associatedData: string): SealedValue {
    const key = this.keys.get(this.currentKeyId)!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      v: 1,
      kid: this.currentKeyId,
      iv: iv.toString('base64'),
      ciphertext: ciphertext.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    };
  }

  open(sealed: unknown, associatedData: string): Buffer {
    if (!isSealedValue(sealed)) throw new KeyringError('not a sealed value');
    const key = this.keys.get(sealed.kid);
    if (!key) throw new KeyringError(`no key ${sealed.kid} in the keyring`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      return Buffer.concat([
        decipher.update(Buffer.from(sealed.ciphertext, 'base64')),
        decipher.final(),
      ]);
    } catch {
      // Never say more: the reason (wrong key, tampered data, wrong row) helps an attacker.
      throw new KeyringError('sealed value failed authentication');
    }
  }

  openString(sealed: unknown, associatedData: string): string {
    return this.open(sealed, associatedData).toString('utf8');
  }

  /** True when the value was sealed with a key other than the current one. */
  needsRotation(sealed: SealedValue): boolean {
    return sealed.kid !== this.currentKeyId;
  }
}

function isSealedValue(value: unknown): value is SealedValue {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.v === 1 &&
    typeof v.kid === 'string' &&
    typeof v.iv === 'string' &&
    typeof v.ciphertext === 'string' &&
    typeof v.tag === 'string' &&
    Buffer.from(v.iv, 'base64').length === IV_BYTES &&
    Buffer.from(v.tag, 'base64').length === 16
  );
}
