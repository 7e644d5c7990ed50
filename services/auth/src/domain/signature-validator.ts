import hawk from 'hawk';
import { timingSafeEqual } from 'node:crypto';
import type { AuthenticationResult, Authenticator, HawkRequestInfo } from '@bulwark/api';
import { isValidScope, satisfiesExpression, satisfiesScope } from '@bulwark/scopes';
import {
  CERTIFICATE_TOLERANCE_MS,
  MAX_CERTIFICATE_LIFETIME_MS,
  certificateSignature,
  parseCertificate,
  temporaryAccessToken,
} from '@bulwark/crypto';
import type { CachedClient } from './credential-store.js';
import { headerMac, MacKey, macsEqual } from './hawk-mac.js';
import {
  MalformedCredentials,
  parseCredentialsInRequest,
  type RequestCredentials,
} from './request-credentials.js';
import type { ReplayGuard } from './replay-guard.js';

/** Where the validator finds clients and expands scopes; the CredentialStore in production. */
export interface CredentialSource {
  /** Synchronous when the client is cached, which is the common case. */
  getClient(clientId: string): CachedClient | undefined | Promise<CachedClient | undefined>;
  expandedClientScopes(client: CachedClient): string[];
  effectiveClientScopes(client: CachedClient): string[];
  expandWithAnonymous(scopes: readonly string[]): string[];
  readonly anonymousScopes: readonly string[];
  /** Called once a client's credentials verified (to maintain lastDateUsed). */
  noteUse?(client: CachedClient, now: number): void;
}

export interface SignatureValidatorOptions {
  store: CredentialSource;
  replayGuard: ReplayGuard;
  /** Allowed difference between the request's timestamp and our clock (S13). */
  skewSeconds: number;
  /**
   * Named credentials the platform has revoked before their expiry (run credentials,
   * S3). Consulted for every request, so keep it cheap for names it does not own.
   */
  isRevoked?: (clientId: string) => boolean | Promise<boolean>;
  now?: () => number;
}

class AuthFailure extends Error {
  override readonly name = 'AuthFailure';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_AUTH_FAILURE';
}
const fail = (message: string): never => {
  throw new AuthFailure(message);
};
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function refuseReplay(fresh: boolean): void {
  if (!fresh) {
    fail(
      'Unauthorized: this request was already used (replay): sign every request anew, ' +
        'with a fresh nonce',
    );
  }
}

function authFailureResult(err: unknown): AuthenticationResult {
  if (err instanceof AuthFailure || err instanceof MalformedCredentials) {
    return { status: 'auth-failed', message: err.message };
  }
  throw err;
}

/** What verified credentials are allowed, narrowed step by step. */
interface Grant {
  key: string;
  /** `key` prepared for HMAC. */
  macKey: MacKey;
  expires: number;
  scopes: readonly string[];
  /** True once a certificate or authorizedScopes replaced the client's own scopes. */
  restricted: boolean;
}

/**
 * Checks a temporary-credentials certificate against its issuer (S4) and narrows
 * the grant to it: the derived key, the earlier expiry, the certificate's scopes.
 * The issuer's scopes are its effective ones, the anonymous role's included, as for
 * authorizedScopes: every caller holds those, so granting them escalates nothing, and a
 * certificate minted from `currentScopes` (which reports them) must verify.
 */
function applyCertificate(
  grant: Grant,
  rawCert: unknown,
  credentialName: string,
  issuer: { accessToken: string; scopes: readonly string[] },
  now: number,
): void {
  const parsedCert = parseCertificate(rawCert);
  const c = typeof parsedCert === 'string' ? fail(parsedCert) : parsedCert;
  if (c.start > now + CERTIFICATE_TOLERANCE_MS) fail('ext.certificate.start > now');
  if (c.expiry < now - CERTIFICATE_TOLERANCE_MS) fail('ext.certificate.expiry < now');
  if (c.expiry - c.start > MAX_CERTIFICATE_LIFETIME_MS) {
    fail('ext.certificate cannot last longer than 31 days!');
  }
  if (
    c.issuer !== undefined &&
    !satisfiesScope(issuer.scopes, `auth:create-client:${credentialName}`)
  ) {
    fail(
      `ext.certificate issuer \`${c.issuer}\` doesn't have \`auth:create-client:${credentialName}\``,
    );
  }
  if (!satisfiesExpression(issuer.scopes, { AllOf: c.scopes })) {
    fail("ext.certificate issuer doesn't have sufficient scopes");
  }
  const expected = Buffer.from(certificateSignature(c, credentialName, issuer.accessToken));
  const given = Buffer.from(c.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    fail('ext.certificate.signature is not valid');
  }
  grant.key = temporaryAccessToken(issuer.accessToken, c.seed);
  grant.macKey = new MacKey(grant.key);
  grant.expires = Math.min(grant.expires, c.expiry);
  grant.scopes = c.scopes;
  grant.restricted = true;
}

/**
 * Verifies Hawk-signed requests and bewits as Taskcluster's auth service does
 * (certificates, named temporary clients, authorizedScopes, the anonymous role),
 * and stronger: every request is accepted once (S13), timestamps are checked
 * before any state is touched, and MACs are compared in constant time.
 */
export class SignatureValidator implements Authenticator {
  constructor(private readonly options: SignatureValidatorOptions) {}

  get replayGuard(): ReplayGuard {
    return this.options.replayGuard;
  }

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  /**
   * Synchronous where no state is touched (no credentials, or a request refused
   * before its nonce is recorded); a verified Hawk header always waits for the
   * replay guard's database write.
   */
  authenticate(request: HawkRequestInfo): AuthenticationResult | Promise<AuthenticationResult> {
    try {
      const parsed = parseCredentialsInRequest(request);
      if (!parsed) {
        return {
          status: 'no-auth',
          scheme: 'none',
          scopes: [...this.options.store.anonymousScopes],
          expires: new Date(this.now() + 15 * 60 * 1000),
        };
      }
      const result = this.verify(request, parsed);
      return result instanceof Promise ? result.catch(authFailureResult) : result;
    } catch (err) {
      return authFailureResult(err);
    }
  }

  private verify(
    request: HawkRequestInfo,
    parsed: RequestCredentials,
  ): AuthenticationResult | Promise<AuthenticationResult> {
    const now = this.now();
    const credentialName = parsed.id;
    if (parsed.scheme === 'header') {
      // Checked before anything is looked up or remembered: a stale request costs nothing.
      if (Math.abs(parsed.ts * 1000 - now) > this.options.skewSeconds * 1000) {
        fail('Stale timestamp');
      }
    }
    const rawCert = parsed.ext.certificate;
    let issuerId = credentialName;
    // `"issuer": null` (as taskcluster-client-web writes it) is an unnamed certificate: the
    // Hawk id is then the issuer, and the signature covers no clientId or issuer line.
    if (isObject(rawCert) && 'issuer' in rawCert && rawCert.issuer !== null) {
      if (typeof rawCert.issuer !== 'string') fail('ext.certificate.issuer must be a string');
      if (rawCert.issuer === credentialName) {
        fail('ext.certificate.issuer must differ from the supplied clientId');
      }
      issuerId = rawCert.issuer as string;
    }
    const client = this.options.store.getClient(issuerId);
    // Closures only on the asynchronous path: the common one allocates none.
    return client instanceof Promise
      ? client.then((found) => this.verifyWithIssuer(request, parsed, issuerId, found, now))
      : this.verifyWithIssuer(request, parsed, issuerId, client, now);
  }

  private verifyWithIssuer(
    request: HawkRequestInfo,
    parsed: RequestCredentials,
    issuerId: string,
    found: CachedClient | undefined,
    now: number,
  ): AuthenticationResult | Promise<AuthenticationResult> {
    const client = found ?? fail(`Client with clientId: '${issuerId}' not found`);
    if (client.disabled) fail(`Client with clientId: '${client.clientId}' is disabled`);
    if (client.expires.getTime() <= now) {
      fail(`Client with clientId: '${client.clientId}' has expired`);
    }
    const grant: Grant = {
      key: client.accessToken,
      macKey: client.macKey,
      expires: client.expires.getTime(),
      scopes: this.options.store.expandedClientScopes(client),
      restricted: false,
    };
    if (parsed.ext.certificate !== undefined) {
      const issuer = {
        accessToken: client.accessToken,
        scopes: this.options.store.effectiveClientScopes(client),
      };
      applyCertificate(grant, parsed.ext.certificate, parsed.id, issuer, now);
    }
    const checked = this.checkMac(request, parsed, grant);
    if (checked instanceof Promise && parsed.scheme === 'header') {
      // A header's MAC is verified synchronously (checkMac throws before recording the
      // nonce otherwise), so the revocation check may run beside the nonce's commit
      // rather than after it: a login session's read costs no extra round trip.
      const revoked = this.options.isRevoked?.(parsed.id) ?? false;
      return Promise.all([checked, revoked]).then(([, r]) =>
        this.finishUnlessRevoked(r, parsed, client, grant, now),
      );
    }
    return checked instanceof Promise
      ? checked.then(() => this.afterMac(parsed, client, grant, now))
      : this.afterMac(parsed, client, grant, now);
  }

  /** Only verified requests reach the revocation check, which may cost a query. */
  private afterMac(
    parsed: RequestCredentials,
    client: CachedClient,
    grant: Grant,
    now: number,
  ): AuthenticationResult | Promise<AuthenticationResult> {
    const revoked = this.options.isRevoked?.(parsed.id) ?? false;
    return revoked instanceof Promise
      ? revoked.then((r) => this.finishUnlessRevoked(r, parsed, client, grant, now))
      : this.finishUnlessRevoked(revoked, parsed, client, grant, now);
  }

  private finishUnlessRevoked(
    revoked: boolean,
    parsed: RequestCredentials,
    client: CachedClient,
    grant: Grant,
    now: number,
  ): AuthenticationResult {
    // Credentials the platform revoked before their expiry (a resolved run's, S3).
    if (revoked) fail('These credentials have been revoked');
    return this.finish(parsed, client, grant, now);
  }

  /** Applies authorizedScopes (which only narrows) and builds the result. */
  private finish(
    parsed: RequestCredentials,
    client: CachedClient,
    grant: Grant,
    now: number,
  ): AuthenticationResult {
    const { store } = this.options;
    const authorizedScopes = parsed.ext.authorizedScopes;
    if (authorizedScopes !== undefined) {
      if (
        !Array.isArray(authorizedScopes) ||
        authorizedScopes.length > 10_000 ||
        !authorizedScopes.every(isValidScope)
      ) {
        fail('ext.authorizedScopes must be an array of valid scopes');
      }
      const current = store.expandWithAnonymous(grant.scopes);
      if (!satisfiesExpression(current, { AllOf: authorizedScopes as string[] })) {
        fail('ext.authorizedScopes oversteps your scopes');
      }
      grant.scopes = authorizedScopes as string[];
      grant.restricted = true;
    }
    store.noteUse?.(client, now);
    const result: AuthenticationResult = {
      status: 'auth-success',
      scheme: 'hawk',
      clientId: parsed.id,
      scopes: grant.restricted
        ? store.expandWithAnonymous(grant.scopes)
        : store.effectiveClientScopes(client),
      expires: new Date(grant.expires),
    };
    if (parsed.hash !== undefined) result.hash = parsed.hash;
    return result;
  }

  /**
   * Verifies the MAC (hawk's normalization and HMAC, compared in constant time) and
   * records the nonce only once it verified, so forged requests cannot fill the guard.
   */
  private checkMac(
    request: HawkRequestInfo,
    parsed: RequestCredentials,
    grant: Grant,
  ): void | Promise<void> {
    if (parsed.scheme === 'bewit') return this.checkBewit(request, parsed, grant.key);
    const attributes = parsed.header ?? fail('Bad Request: Missing attributes');
    const expected =
      headerMac(grant.macKey, {
        method: request.method.toUpperCase(),
        resource: request.resource,
        host: request.host,
        port: request.port,
        ts: attributes.ts ?? '',
        nonce: attributes.nonce ?? '',
        hash: attributes.hash,
        ext: attributes.ext,
        app: attributes.app,
        dlg: attributes.dlg,
      }) ?? fail('Bad Request: Invalid resource');
    if (!macsEqual(attributes.mac ?? '', expected)) fail('Unauthorized: Bad mac');
    // Committed to the shared table before the request can be answered, so a replay
    // is refused by every process, also after this one restarts or is killed.
    return this.options.replayGuard.firstUse(parsed.id, parsed.ts, parsed.nonce).then(refuseReplay);
  }

  private async checkBewit(
    request: HawkRequestInfo,
    parsed: RequestCredentials,
    key: string,
  ): Promise<void> {
    const credentialsFunc = (): hawk.server.Credentials => ({
      key,
      algorithm: 'sha256',
      user: parsed.id,
    });
    try {
      await hawk.server.authenticateBewit(
        {
          method: request.method.toUpperCase(),
          url: request.resource,
          host: request.host,
          port: request.port,
        } as never,
        credentialsFunc,
        { localtimeOffsetMsec: this.now() - Date.now() },
      );
    } catch (err) {
      const message = (err as { output?: { payload?: { message?: string } } }).output?.payload
        ?.message;
      fail(`Unauthorized: ${message ?? 'Bad mac'}`);
    }
  }
}
