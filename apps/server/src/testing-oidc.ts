import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import Provider from 'oidc-provider';

/**
 * A real OpenID provider on loopback for tests (the certified `oidc-provider`), with
 * its development login (any password), one confidential client allowed the
 * authorization code flow with PKCE and the device flow, and a `groups` claim in its ID
 * tokens. The test plays the browser with `TestBrowser`.
 */
export interface TestIdentityProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The key the provider signs ID tokens with (to mint tokens a real provider would). */
  readonly signingKey: CryptoKey;
  readonly kid: string;
  /** Every access token and code the provider issued (opaque: their values). */
  readonly issuedTokens: Set<string>;
  /** Sets the groups a user's next ID token carries. */
  setGroups(user: string, groups: string[]): void;
  stop(): Promise<void>;
}

export async function startTestIdentityProvider(
  options: { clientId?: string; idTokenTtlSeconds?: number } = {},
): Promise<TestIdentityProvider> {
  const clientId = options.clientId ?? 'bulwark-test';
  const clientSecret = `secret-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const groups = new Map<string, string[]>();
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `test-${Date.now()}`;
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };

  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        // A native application: loopback redirects may use any port (RFC 8252, 7.3).
        application_type: 'native',
        redirect_uris: ['http://127.0.0.1/callback', 'http://127.0.0.1/ui/callback'],
        grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [jwk] },
    features: { devInteractions: { enabled: true }, deviceFlow: { enabled: true } },
    scopes: ['openid', 'groups'],
    claims: { openid: ['sub'], groups: ['groups'] },
    // Claims of the requested scopes go into the ID token itself.
    conformIdTokenClaims: false,
    ttl: { IdToken: options.idTokenTtlSeconds ?? 3600 },
    cookies: { keys: [`cookie-key-${kid}`] },
    findAccount: (_ctx: unknown, accountId: string) => ({
      accountId,
      claims: () => ({ sub: accountId, groups: groups.get(accountId) ?? [] }),
    }),
  });
  // Its own console warnings (development interactions) are not the test's output.
  provider.on('server_error', () => undefined);
  // Opaque tokens' values are their jti: kept so tests can look for them anywhere.
  const issuedTokens = new Set<string>();
  for (const event of [
    'access_token.saved',
    'access_token.issued',
    'authorization_code.saved',
    'device_code.saved',
  ]) {
    provider.on(event, (token) => {
      const jti = (token as { jti?: unknown }).jti;
      if (typeof jti === 'string') issuedTokens.add(jti);
    });
  }
  server.on('request', provider.callback());
  return {
    issuer,
    clientId,
    clientSecret,
    signingKey: privateKey,
    kid,
    issuedTokens,
    setGroups: (user, list) => groups.set(user, list),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A person's browser, as far as a sign-in needs one: follows redirects, keeps cookies
 * per origin, and submits the first form of a page with its hidden fields and the
 * fields given. Loopback only.
 */
export class TestBrowser {
  private readonly cookies = new Map<string, Map<string, string>>();

  /**
   * Opens `url` and follows redirects until the location starts with `stopAt`
   * (answered without fetching it) or a page that is not a redirect (answered with
   * its body).
   */
  async open(
    url: string,
    stopAt?: string,
    form?: { fields: Record<string, string> },
  ): Promise<{ url: string; status: number; body: string }> {
    let next = url;
    let method = form ? 'POST' : 'GET';
    let body: string | undefined = form ? new URLSearchParams(form.fields).toString() : undefined;
    for (let hop = 0; hop < 20; hop++) {
      if (stopAt && next.startsWith(stopAt)) return { url: next, status: 302, body: '' };
      const target = new URL(next);
      const response = await fetch(target, {
        method,
        redirect: 'manual',
        headers: {
          cookie: this.cookieHeader(target.origin),
          ...(body !== undefined && { 'content-type': 'application/x-www-form-urlencoded' }),
        },
        ...(body !== undefined && { body }),
      });
      this.keepCookies(target.origin, response.headers.getSetCookie());
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        next = new URL(location, target).href;
        method = 'GET';
        body = undefined;
        continue;
      }
      return { url: next, status: response.status, body: await response.text() };
    }
    throw new Error('too many redirects');
  }

  /** Submits the page's first form with its hidden inputs and `fields`. */
  async submit(
    page: { url: string; body: string },
    fields: Record<string, string>,
    stopAt?: string,
  ): Promise<{ url: string; status: number; body: string }> {
    const formTag = /<form\b[^>]*>/i.exec(page.body);
    if (!formTag) throw new Error(`no form on ${page.url}: ${page.body.slice(0, 300)}`);
    const action = /action="([^"]*)"/i.exec(formTag[0])?.[1] ?? page.url;
    const rest = page.body.slice(formTag.index);
    const formHtml = rest.slice(0, rest.search(/<\/form>/i) + 1 || undefined);
    const values: Record<string, string> = {};
    for (const input of formHtml.matchAll(/<input\b[^>]*>/gi)) {
      const name = /name="([^"]*)"/i.exec(input[0])?.[1];
      const value = /value="([^"]*)"/i.exec(input[0])?.[1] ?? '';
      if (name) values[name] = decodeEntities(value);
    }
    const url = new URL(decodeEntities(action), page.url).href;
    return this.open(url, stopAt, { fields: { ...values, ...fields } });
  }

  /**
   * Signs in at the provider's login page as `user` and consents, starting from an
   * authorization URL; answers the redirect URI with its code and state.
   */
  async signInAs(authorizationUrl: string, user: string, redirectPrefix: string): Promise<URL> {
    let page = await this.open(authorizationUrl, redirectPrefix);
    for (let step = 0; step < 5 && !page.url.startsWith(redirectPrefix); step++) {
      page = await this.submit(page, { login: user, password: 'any' }, redirectPrefix);
    }
    if (!page.url.startsWith(redirectPrefix)) throw new Error(`sign-in stuck at ${page.url}`);
    return new URL(page.url);
  }

  /** Enters a device flow's user code and approves it as `user`. */
  async approveDevice(verificationUri: string, userCode: string, user: string): Promise<string> {
    let page = await this.open(verificationUri);
    page = await this.submit(page, { user_code: userCode });
    for (let step = 0; step < 5 && /<form\b/i.test(page.body); step++) {
      page = await this.submit(page, { login: user, password: 'any' });
    }
    return page.body;
  }

  private cookieHeader(origin: string): string {
    return [...(this.cookies.get(origin) ?? new Map<string, string>())]
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
  }

  private keepCookies(origin: string, setCookies: string[]): void {
    const jar = this.cookies.get(origin) ?? new Map<string, string>();
    for (const line of setCookies) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      if (eq > 0) jar.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    this.cookies.set(origin, jar);
  }
}

function decodeEntities(value: string): string {
  return value
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#x2F;/g, '/')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}
