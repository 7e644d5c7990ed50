import type pg from 'pg';
import { KeyringError, type Keyring } from '@bulwark/crypto';
import { queries } from '@bulwark/db';

/**
 * Opens every stored access token once, before any service starts. A process given
 * another keyring than the rest of its deployment then stops with a sentence that
 * says so, instead of failing inside the credential cache with a bare crypto error
 * (and holding its connections while it does). The associated data is the auth
 * service's (`client:<clientId>`); a change there fails every platform test here.
 */
export async function checkKeyringOpensTokens(pool: pg.Pool, keyring: Keyring): Promise<void> {
  for (const client of await queries.clients.allClients(pool)) {
    try {
      keyring.openString(client.sealedAccessToken, `client:${client.clientId}`);
    } catch (err) {
      if (!(err instanceof KeyringError)) throw err;
      throw new Error(
        `a stored access token cannot be opened with this keyring (${err.message}): every ` +
          'process of a deployment needs the same keyring (BULWARK_KEYRING or "keyring" in ' +
          'the config file)',
      );
    }
  }
}
