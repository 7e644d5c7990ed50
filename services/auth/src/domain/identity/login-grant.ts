import type { JWTPayload } from 'jose';
import type { ProviderSettings } from './provider-settings.js';

/** Login credentials are named `login:<provider>/<subject>/<sessionId>`. */
export const LOGIN_PREFIX = 'login:';
/** A subject must fit a client id and may not hold the `/` that separates its parts. */
const SUBJECT = /^[A-Za-z0-9!@:.+|_-]{1,128}$/;
/** Group names become role ids (`login-group:<provider>/<group>`): printable ASCII. */
const GROUP = /^[\x20-\x7e]{1,256}$/;
const MAX_GROUPS = 500;
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

/** What a verified ID token grants: an identity, its groups, its scopes, and until when. */
export interface LoginGrant {
  provider: string;
  subject: string;
  /** `login:<provider>/<subject>`, the identity roles are granted to. */
  identity: string;
  groups: string[];
  /** The roles the credentials assume: the identity's and one per group. */
  roles: string[];
  scopes: string[];
  expires: Date;
}

/** A sign-in whose token verified but whose claims cannot make an identity. */
export class LoginRefused extends Error {
  override readonly name = 'LoginRefused';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_LOGIN_REFUSED';
}

function subjectOf(claims: JWTPayload, settings: ProviderSettings): string {
  const raw = claims[settings.userClaim];
  const subject = typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : raw;
  if (typeof subject !== 'string' || !SUBJECT.test(subject)) {
    throw new LoginRefused(
      `the ID token's ${settings.userClaim} claim is missing or not 1-128 of ` +
        'letters, digits and !@:.+|_- (it names the user)',
    );
  }
  return subject;
}

/**
 * The groups claim as a list of names. Names that could not be role ids (not printable
 * ASCII, too long) are left out: leaving a group out only ever grants less.
 */
function groupsOf(claims: JWTPayload, settings: ProviderSettings): string[] {
  if (settings.groupsClaim === undefined) return [];
  const raw = claims[settings.groupsClaim];
  if (raw === undefined) return [];
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list)) {
    throw new LoginRefused(`the ID token's ${settings.groupsClaim} claim is not a list`);
  }
  if (list.length > MAX_GROUPS) {
    throw new LoginRefused(`the ID token names more than ${MAX_GROUPS} groups`);
  }
  const groups = list.filter((g): g is string => typeof g === 'string' && GROUP.test(g));
  return [...new Set(groups)].sort();
}

/**
 * The grant of a verified ID token. The credentials end at the earliest of the ID
 * token's expiry, the configured maximum after the user authenticated at the provider
 * (`auth_time`, when given), and the configured maximum from now: never beyond the
 * provider's session policy nor ours.
 */
export function loginGrant(
  provider: string,
  settings: ProviderSettings,
  claims: JWTPayload,
  now: Date,
): LoginGrant {
  const subject = subjectOf(claims, settings);
  const groups = groupsOf(claims, settings);
  const identity = `${LOGIN_PREFIX}${provider}/${subject}`;
  const roles = [identity, ...groups.map((g) => `login-group:${provider}/${g}`)];
  const maxMs = settings.maxSessionSeconds * 1000;
  const limits = [now.getTime() + maxMs, (claims.exp ?? 0) * 1000];
  if (typeof claims.auth_time === 'number') limits.push(claims.auth_time * 1000 + maxMs);
  const expires = new Date(Math.min(...limits));
  if (expires.getTime() <= now.getTime()) {
    throw new LoginRefused('the session at the identity provider has already ended');
  }
  return {
    provider,
    subject,
    identity,
    groups,
    roles,
    scopes: roles.map((role) => `assume:${role}`),
    expires,
  };
}

/** The client id of one sign-in's credentials. */
export function loginClientId(identity: string, sessionId: string): string {
  return `${identity}/${sessionId}`;
}

/** The session id of a login client id, or undefined when it is not one. */
export function loginSessionId(clientId: string): string | undefined {
  if (!clientId.startsWith(LOGIN_PREFIX)) return undefined;
  const sessionId = clientId.slice(clientId.lastIndexOf('/') + 1);
  return SESSION_ID.test(sessionId) && clientId.split('/').length === 3 ? sessionId : undefined;
}
