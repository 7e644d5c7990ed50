import { Auth, createTemporaryCredentials, type Credentials } from 'taskcluster-client-web';

/** How long the temporary credentials of a sign-in last. */
export const SESSION_MINUTES = 60;

/**
 * A signed-in person: temporary credentials made from the client credentials they typed,
 * which are forgotten at once. Held in this module's memory only: never in
 * localStorage, sessionStorage, a cookie or a URL, so a reload or a closed tab signs out.
 */
export interface Session {
  readonly rootUrl: string;
  /** The client whose credentials signed in (temporary credentials carry its id). */
  readonly clientId: string;
  readonly credentials: Required<Credentials>;
  /** What these credentials may do, expanded, as the auth service reports them. */
  readonly scopes: readonly string[];
  readonly expires: Date;
}

interface SessionState {
  session: Session | undefined;
  /** Why the last session ended, when it was not the person's choice. */
  notice: string | undefined;
}

let state: SessionState = { session: undefined, notice: undefined };
let expiryTimer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<() => void>();

function publish(next: SessionState): void {
  state = next;
  for (const listener of listeners) listener();
}

/** For React's useSyncExternalStore. */
export const subscribeSession = (listener: () => void): (() => void) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};
export const sessionSnapshot = (): SessionState => state;

/** Ends the session, forgetting its credentials; `notice` says why, when it was not asked for. */
export function signOut(notice?: string): void {
  if (expiryTimer !== undefined) clearTimeout(expiryTimer);
  expiryTimer = undefined;
  publish({ session: undefined, notice });
}

/**
 * Exchanges client credentials for temporary ones (made here, with the published
 * client's createTemporaryCredentials) carrying the client's own scopes, and checks them
 * against the auth service before keeping them.
 */
export async function signIn(
  rootUrl: string,
  clientId: string,
  accessToken: string,
): Promise<void> {
  const permanent = { clientId, accessToken };
  const { scopes: granted } = await new Auth({ rootUrl, credentials: permanent }).currentScopes();
  const start = new Date(Date.now() - 60_000);
  const expires = new Date(Date.now() + SESSION_MINUTES * 60_000);
  const credentials = createTemporaryCredentials({
    start,
    expiry: expires,
    scopes: granted,
    credentials: permanent,
  });
  const { scopes } = await new Auth({ rootUrl, credentials }).currentScopes();
  if (expiryTimer !== undefined) clearTimeout(expiryTimer);
  expiryTimer = setTimeout(
    () => signOut('Your session expired. Sign in again to go on.'),
    expires.getTime() - Date.now(),
  );
  publish({
    session: { rootUrl, clientId, credentials, scopes, expires },
    notice: undefined,
  });
}

/** An error from the API that says these credentials no longer work. */
export function isAuthenticationFailure(err: unknown): boolean {
  const body = (err as { body?: { code?: string } } | undefined)?.body;
  return body?.code === 'AuthenticationFailed';
}
