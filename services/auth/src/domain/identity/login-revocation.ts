import type pg from 'pg';
import { queries } from '@bulwark/db';
import { LOGIN_PREFIX, loginSessionId } from './login-grant.js';

/** Login names this process knows ended: an ended session never starts again. */
const REMEMBERED_ENDINGS = 10_000;

/**
 * The revocation check of login credentials (sign-out, D37): a login client id whose
 * session is unknown, ended, or belongs to another client id is refused. Login ids
 * cost one primary-key read (prepared) made after the signature verified; an ending
 * seen once is remembered (by the whole name, so a name that does not match its
 * session cannot end the session for its owner); every other client id is answered at once without I/O. A
 * failed query fails the request (closed).
 */
export function loginRevocation(pool: pg.Pool): (clientId: string) => boolean | Promise<boolean> {
  const ended = new Set<string>();
  return (clientId) => {
    if (!clientId.startsWith(LOGIN_PREFIX)) return false;
    const sessionId = loginSessionId(clientId);
    if (sessionId === undefined) return true;
    if (ended.has(clientId)) return true;
    return queries.identity.sessionUsable(pool, sessionId, clientId).then((usable) => {
      if (!usable) {
        if (ended.size >= REMEMBERED_ENDINGS) ended.clear();
        ended.add(clientId);
      }
      return !usable;
    });
  };
}
