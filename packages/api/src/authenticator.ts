/**
 * The contract between an API and whatever verifies Hawk signatures. It mirrors
 * Taskcluster's `authenticateHawk` endpoint so the same shape works in-process
 * (the auth service's validator) and across processes (an HTTP call).
 */
export interface HawkRequestInfo {
  /** Lower-case HTTP verb. */
  method: string;
  /** Path and query exactly as sent (still percent-encoded): the MAC covers it. */
  resource: string;
  host: string;
  port: number;
  authorization?: string;
  sourceIp?: string;
}

export type AuthenticationResult =
  | {
      status: 'auth-success';
      scheme: 'hawk';
      clientId: string;
      scopes: string[];
      expires: Date;
      /** Payload hash the client signed, when it sent one. */
      hash?: string;
    }
  | { status: 'auth-failed'; message: string }
  | { status: 'no-auth'; scheme: 'none'; scopes: string[]; expires: Date };

export interface Authenticator {
  /** May answer synchronously (e.g. from an in-memory cache) to spare the request a tick. */
  authenticate(request: HawkRequestInfo): AuthenticationResult | Promise<AuthenticationResult>;
}
