import { createHmac, randomBytes } from 'node:crypto';
import { isValidScope } from '@bulwark/scopes';

/** A temporary-credentials certificate, as Taskcluster clients build it. */
export interface Certificate {
  version: 1;
  scopes: string[];
  /** Milliseconds since the epoch. */
  start: number;
  expiry: number;
  seed: string;
  signature: string;
  /** Present only for named temporary credentials (a `null` on the wire means unnamed). */
  issuer?: string;
}

export const MAX_CERTIFICATE_LIFETIME_MS = 31 * 24 * 60 * 60 * 1000;
export const CERTIFICATE_TOLERANCE_MS = 5 * 60 * 1000;
const MAX_CERT_SCOPES = 10_000;

/** Parses an `ext.certificate`; returns a reason string when it is malformed. */
export function parseCertificate(value: unknown): Certificate | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'ext.certificate must be a JSON object';
  }
  const c = value as Record<string, unknown>;
  if (c.version !== 1) return 'ext.certificate.version must be 1';
  if (typeof c.seed !== 'string' || c.seed.length !== 44) {
    return 'ext.certificate.seed must be a string of 44 characters';
  }
  if (typeof c.start !== 'number' || !Number.isSafeInteger(c.start)) {
    return 'ext.certificate.start must be a number';
  }
  if (typeof c.expiry !== 'number' || !Number.isSafeInteger(c.expiry)) {
    return 'ext.certificate.expiry must be a number';
  }
  if (typeof c.signature !== 'string' || c.signature.length > 200) {
    return 'ext.certificate.signature must be a string';
  }
  if (
    !Array.isArray(c.scopes) ||
    c.scopes.length > MAX_CERT_SCOPES ||
    !c.scopes.every((s) => isValidScope(s))
  ) {
    return 'ext.certificate.scopes must be an array of valid scopes';
  }
  if ('clientId' in c) return 'ext.certificate.clientId is not allowed';
  // Taskcluster's browser client writes `"issuer": null` into unnamed certificates, and
  // Taskcluster reads that as unnamed; anything else but a string is refused.
  if ('issuer' in c && c.issuer !== null && typeof c.issuer !== 'string')
    return 'ext.certificate.issuer must be a string or null';
  const cert: Certificate = {
    version: 1,
    scopes: c.scopes,
    start: c.start,
    expiry: c.expiry,
    seed: c.seed,
    signature: c.signature,
  };
  if (typeof c.issuer === 'string') cert.issuer = c.issuer;
  return cert;
}

/**
 * The exact text Taskcluster signs: lines joined by `\n`, no trailing newline;
 * the clientId and issuer lines appear only for named credentials.
 */
export function certificateSigningString(cert: Certificate, credentialName: string): string {
  const lines = ['version:1'];
  if (cert.issuer !== undefined) lines.push(`clientId:${credentialName}`, `issuer:${cert.issuer}`);
  lines.push(`seed:${cert.seed}`, `start:${cert.start}`, `expiry:${cert.expiry}`, 'scopes:');
  lines.push(...cert.scopes);
  return lines.join('\n');
}

export function certificateSignature(
  cert: Certificate,
  credentialName: string,
  issuerAccessToken: string,
): string {
  return createHmac('sha256', issuerAccessToken)
    .update(certificateSigningString(cert, credentialName))
    .digest('base64');
}

/** The Hawk key of temporary credentials: HMAC(issuer token, seed), base64url without padding. */
export function temporaryAccessToken(issuerAccessToken: string, seed: string): string {
  return createHmac('sha256', issuerAccessToken).update(seed).digest('base64url');
}

export interface TemporaryCredentials {
  clientId: string;
  accessToken: string;
  certificate: string;
}

/**
 * Issues temporary credentials exactly as `taskcluster-client` does, so services
 * (the queue's run credentials) and tests produce what the validator accepts.
 */
export function issueTemporaryCredentials(options: {
  issuerClientId: string;
  issuerAccessToken: string;
  scopes: readonly string[];
  start: Date;
  expiry: Date;
  /** Name for named temporary credentials; omitted for unnamed ones. */
  clientId?: string;
}): TemporaryCredentials {
  const { issuerClientId, issuerAccessToken, clientId } = options;
  if (options.expiry.getTime() - options.start.getTime() > MAX_CERTIFICATE_LIFETIME_MS) {
    throw new Error('temporary credentials cannot last longer than 31 days');
  }
  if (clientId === issuerClientId)
    throw new Error('a temporary client cannot be named after its issuer');
  const cert: Certificate = {
    version: 1,
    scopes: [...options.scopes],
    start: options.start.getTime(),
    expiry: options.expiry.getTime(),
    seed: randomBytes(33).toString('base64url'),
    signature: '',
  };
  if (clientId !== undefined) cert.issuer = issuerClientId;
  const name = clientId ?? issuerClientId;
  cert.signature = certificateSignature(cert, name, issuerAccessToken);
  return {
    clientId: name,
    accessToken: temporaryAccessToken(issuerAccessToken, cert.seed),
    certificate: JSON.stringify(cert),
  };
}
