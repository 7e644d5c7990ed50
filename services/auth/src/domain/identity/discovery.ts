import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { providerJson, providerUnavailable } from './provider-http.js';
import { checkProviderUrl } from './provider-settings.js';

/** What Bulwark uses of a provider's discovery document. */
export interface ProviderMetadata {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  deviceAuthorizationEndpoint?: string;
  /** The provider's published keys, fetched and cached by jose. */
  keys: JWTVerifyGetKey;
}

/** How long a discovery document is trusted before it is fetched again. */
const DISCOVERY_TTL_MS = 60 * 60 * 1000;

interface Cached {
  fetched: number;
  metadata: Promise<ProviderMetadata>;
}

/**
 * Discovery documents and key sets, per issuer. The key set is jose's remote JWKS:
 * cached, fetched again after `cacheMaxAge`, and fetched again at once (at most every
 * 30 s) when a token names a key it does not hold, so a provider's key rotation is
 * followed without a restart and forged key ids cannot make it fetch in a loop.
 */
/** How the key set is refreshed; production uses the defaults. */
export interface KeySetTiming {
  /** At most one refetch per this, when a token names an unknown key. */
  cooldownMs: number;
  /** Keys are refetched once older than this. */
  cacheMaxAgeMs: number;
}

const DEFAULT_KEY_TIMING: KeySetTiming = { cooldownMs: 30_000, cacheMaxAgeMs: 10 * 60_000 };

export class ProviderDirectory {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly keyTiming: KeySetTiming = DEFAULT_KEY_TIMING,
  ) {}

  metadata(providerName: string, issuer: string): Promise<ProviderMetadata> {
    const cached = this.cache.get(issuer);
    if (cached && this.now() - cached.fetched < DISCOVERY_TTL_MS) return cached.metadata;
    const metadata = discover(providerName, issuer, this.keyTiming);
    const entry = { fetched: this.now(), metadata };
    this.cache.set(issuer, entry);
    // A failed discovery is not remembered: the next sign-in tries again.
    metadata.catch(() => {
      if (this.cache.get(issuer) === entry) this.cache.delete(issuer);
    });
    return metadata;
  }

  /** Forgets what is known of an issuer (its settings changed or it was removed). */
  forget(issuer: string): void {
    this.cache.delete(issuer);
  }
}

async function discover(
  providerName: string,
  issuer: string,
  timing: KeySetTiming,
): Promise<ProviderMetadata> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const doc = await providerJson(providerName, url, { method: 'GET' });
  // OpenID Connect Discovery, section 4.3: the document's issuer must be exactly ours.
  if (doc.issuer !== issuer) {
    throw providerUnavailable(providerName, 'its discovery document names another issuer');
  }
  const endpoint = (field: string, required: boolean): string | undefined => {
    const value = doc[field];
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'string') {
      throw providerUnavailable(providerName, `its discovery document lacks ${field}`);
    }
    try {
      return checkProviderUrl(value, field).href;
    } catch {
      throw providerUnavailable(providerName, `its ${field} is neither https nor loopback`);
    }
  };
  const jwksUri = endpoint('jwks_uri', true)!;
  const device = endpoint('device_authorization_endpoint', false);
  return {
    issuer,
    authorizationEndpoint: endpoint('authorization_endpoint', true)!,
    tokenEndpoint: endpoint('token_endpoint', true)!,
    jwksUri,
    ...(device !== undefined && { deviceAuthorizationEndpoint: device }),
    keys: createRemoteJWKSet(new URL(jwksUri), {
      timeoutDuration: 10_000,
      cooldownDuration: timing.cooldownMs,
      cacheMaxAge: timing.cacheMaxAgeMs,
    }),
  };
}
