import { Auth, Queue } from 'taskcluster-client-web';
import { isAuthenticationFailure, signOut, type Session } from './session.js';

export const queueFor = (session: Session): Queue =>
  new Queue({ rootUrl: session.rootUrl, credentials: session.credentials });

export const authFor = (session: Session): Auth =>
  new Auth({ rootUrl: session.rootUrl, credentials: session.credentials });

/**
 * What a page shows for a failed call. Credentials that stopped working (expired,
 * or their client was disabled) end the session with a message instead.
 */
export function describeFailure(err: unknown): string {
  if (isAuthenticationFailure(err)) {
    signOut('Your credentials stopped working (expired or revoked). Sign in again.');
    return 'Signed out.';
  }
  const body = (err as { body?: { code?: string; message?: string } }).body;
  if (body?.code) return `${body.code}: ${body.message?.split('\n')[0] ?? ''}`;
  return err instanceof Error ? err.message : String(err);
}
