import type { AuthenticationResult, Authenticator, HawkRequestInfo } from './authenticator.js';

/**
 * Verifies requests by asking the auth service (`POST /api/auth/v1/authenticate-hawk`),
 * for services that run in a process of their own. The call itself is unsigned, as
 * in Taskcluster: it carries the caller's signature, not ours, and consumes its nonce,
 * so replay protection (S13) holds across services too.
 */
export class RemoteAuthenticator implements Authenticator {
  private readonly endpoint: string;

  constructor(
    authRootUrl: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.endpoint = `${authRootUrl.replace(/\/+$/, '')}/api/auth/v1/authenticate-hawk`;
  }

  async authenticate(request: HawkRequestInfo): Promise<AuthenticationResult> {
    const body: Record<string, unknown> = {
      method: request.method,
      resource: request.resource,
      host: request.host,
      port: request.port,
    };
    if (request.authorization !== undefined) body.authorization = request.authorization;
    if (request.sourceIp !== undefined) body.sourceIp = request.sourceIp;
    const response = await fetch(this.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) {
      // Fail closed: if the auth service cannot answer, nobody is authenticated.
      throw new Error(`auth service answered ${response.status} to authenticate-hawk`);
    }
    const result = (await response.json()) as Record<string, unknown>;
    switch (result.status) {
      case 'auth-success':
      case 'no-auth':
        return { ...result, expires: new Date(String(result.expires)) } as AuthenticationResult;
      case 'auth-failed':
        return { status: 'auth-failed', message: String(result.message) };
      default:
        throw new Error('auth service sent an unknown authentication status');
    }
  }
}
