import { useState, type FormEvent } from 'react';
import { signIn } from '../lib/session.js';

/**
 * Client credentials in, temporary credentials out: the access token typed here lives
 * only in this form's state until the exchange, and the form is cleared either way.
 */
export function SignInPage({ notice }: { notice: string | undefined }) {
  const [clientId, setClientId] = useState('');
  const [accessToken, setAccessToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(window.location.origin, clientId.trim(), accessToken.trim());
    } catch (err) {
      setError(describeSignInError(err));
    } finally {
      setAccessToken('');
      setBusy(false);
    }
  };

  return (
    <section className="sign-in">
      <h1>Sign in</h1>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <p>
        Sign in with a client&apos;s credentials (<code>bulwark clients create</code> makes one).
        This page exchanges them for temporary credentials that last an hour and keeps those in
        memory only: reloading the page or closing the tab signs you out.
      </p>
      <form onSubmit={(event) => void submit(event)}>
        <label htmlFor="client-id">Client ID</label>
        <input
          id="client-id"
          name="clientId"
          autoComplete="username"
          required
          value={clientId}
          onChange={(event) => setClientId(event.target.value)}
        />
        <label htmlFor="access-token">Access token</label>
        <input
          id="access-token"
          name="accessToken"
          type="password"
          autoComplete="current-password"
          required
          value={accessToken}
          onChange={(event) => setAccessToken(event.target.value)}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}

function describeSignInError(err: unknown): string {
  const code = (err as { body?: { code?: string } }).body?.code;
  if (code === 'AuthenticationFailed') return 'Those credentials were not accepted.';
  if (code === 'InsufficientScopes') {
    return 'This client may not read its own scopes (it needs auth:current-scopes).';
  }
  return `Signing in failed: ${err instanceof Error ? err.message : String(err)}`;
}
