import type { Keyring, SealedValue } from '@bulwark/crypto';

/**
 * A stored value that does not open under its own name: copied from another row,
 * tampered with, or sealed with a key no longer in the keyring. Its message names
 * neither the secret nor the reason, so it is safe to log (S1).
 */
export class UnreadableSecretError extends Error {
  override readonly name = 'UnreadableSecretError';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_UNREADABLE_SECRET';
  constructor() {
    super('a stored secret value failed authentication');
  }
}

/** The value's purpose and row: a ciphertext only opens under the name it was sealed for (S11). */
const associatedData = (name: string): string => `secret:${name}`;

export function sealSecret(keyring: Keyring, name: string, serialized: string): SealedValue {
  return keyring.seal(serialized, associatedData(name));
}

/** The secret's value; throws UnreadableSecretError when the stored value does not open. */
export function openSecret(
  keyring: Keyring,
  name: string,
  sealed: unknown,
): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(keyring.openString(sealed, associatedData(name)));
  } catch {
    throw new UnreadableSecretError();
  }
  // Only objects are ever sealed; anything else did not come from this service.
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UnreadableSecretError();
  }
  return value as Record<string, unknown>;
}
