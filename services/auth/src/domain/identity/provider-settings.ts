import { inputError, type FromJsonSchema } from '@bulwark/api';
import type { IdentityProviderRow } from '@bulwark/db';
import type {
  identityProviderResponse,
  updateIdentityProviderRequest,
} from '../../schemas/identity.js';

/** A provider's settings as configured through the API; the client secret is kept apart. */
export interface ProviderSettings {
  description: string;
  /** Shown on a sign-in button: "Sign in with <displayName>". */
  displayName: string;
  /** Exactly as the provider's discovery document states it. */
  issuer: string;
  clientId: string;
  /** The claim that names the user; `sub` unless configured. */
  userClaim: string;
  /** The claim that carries the user's groups; none when absent. */
  groupsClaim?: string;
  /** Audiences besides the client id that an ID token may also name. */
  audiences: string[];
  /** Scopes asked of the provider; always includes `openid`. */
  scopes: string[];
  /** The longest a sign-in's credentials may last, whatever the provider says. */
  maxSessionSeconds: number;
  /** Exact redirect URIs of web UIs; loopback URIs of the CLI are always allowed. */
  redirectUris: string[];
}

export const PROVIDER_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const DEFAULT_MAX_SESSION_SECONDS = 12 * 60 * 60;
/** Temporary credentials last at most 31 days (Taskcluster's certificate limit). */
export const MAX_SESSION_SECONDS = 31 * 24 * 60 * 60;

/** The provider's settings from its row; the row was checked when written. */
export function settingsFromRow(row: IdentityProviderRow): ProviderSettings {
  return row.config as unknown as ProviderSettings;
}

export function settingsToRowConfig(settings: ProviderSettings): Record<string, unknown> {
  return { ...settings };
}

/**
 * True for a loopback address a plain-HTTP provider or redirect may use: traffic that
 * never leaves the host (RFC 8252, section 7.3, for redirects). Everything else must be
 * HTTPS.
 */
export function isLoopbackHttp(url: URL): boolean {
  return (
    url.protocol === 'http:' &&
    (url.hostname === '127.0.0.1' || url.hostname === '[::1]' || url.hostname === 'localhost')
  );
}

/** An HTTPS URL, or plain HTTP on loopback; no credentials, no fragment. */
export function checkProviderUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw inputError(`${what} is not a URL`);
  }
  if (url.protocol !== 'https:' && !isLoopbackHttp(url)) {
    throw inputError(`${what} must be an https URL (plain http only on loopback)`);
  }
  if (url.username || url.password || url.hash) {
    throw inputError(`${what} may not carry credentials or a fragment`);
  }
  return url;
}

/** Input of createIdentityProvider / updateIdentityProvider, defaults filled in. */
export function settingsFromInput(
  input: FromJsonSchema<typeof updateIdentityProviderRequest>,
  name: string,
): ProviderSettings {
  // Kept as given: discovery compares it with the document's `issuer` exactly.
  checkProviderUrl(input.issuer, 'issuer');
  for (const uri of input.redirectUris ?? []) {
    const url = checkProviderUrl(uri, 'redirectUris');
    if (url.search) throw inputError('redirectUris may not carry a query');
  }
  const scopes = [...new Set(['openid', ...(input.scopes ?? [])])];
  const settings: ProviderSettings = {
    description: input.description,
    displayName: input.displayName ?? name,
    issuer: input.issuer,
    clientId: input.clientId,
    userClaim: input.userClaim ?? 'sub',
    audiences: [...new Set(input.audiences ?? [])],
    scopes,
    maxSessionSeconds: input.maxSessionSeconds ?? DEFAULT_MAX_SESSION_SECONDS,
    redirectUris: [...new Set(input.redirectUris ?? [])],
  };
  if (input.groupsClaim !== undefined) settings.groupsClaim = input.groupsClaim;
  return settings;
}

/** What the API answers about a provider: never its client secret. */
export function providerToJson(
  row: IdentityProviderRow,
): FromJsonSchema<typeof identityProviderResponse> {
  return {
    name: row.name,
    ...settingsFromRow(row),
    clientSecretSet: true,
    created: row.created.toISOString(),
    lastModified: row.lastModified.toISOString(),
  };
}
