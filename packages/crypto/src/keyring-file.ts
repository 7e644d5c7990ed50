import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Keyring, KeyringError, type KeyringKey } from './keyring.js';

/**
 * Loads the keyring file, creating it (0600, in a 0700 directory) with one fresh
 * key when it does not exist yet. Used by the one-machine mode; production passes
 * keys through configuration instead (S11).
 */
export async function loadOrCreateKeyringFile(path: string): Promise<Keyring> {
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text === undefined) {
    const keys = [Keyring.generateKey(`k${Date.now().toString(36)}`)];
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    // `wx` so two processes racing to create it cannot both win with different keys.
    try {
      await writeFile(path, JSON.stringify({ keys }, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return loadOrCreateKeyringFile(path);
    }
    return new Keyring(keys);
  }
  return parseKeyring(text);
}

/** Parses `{"keys": [{"id", "key"}, ...]}`; the last key is the current one. */
export function parseKeyring(text: string): Keyring {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KeyringError('keyring is not valid JSON');
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) throw new KeyringError('keyring must be {"keys": [...]}');
  return new Keyring(keys as KeyringKey[]);
}
