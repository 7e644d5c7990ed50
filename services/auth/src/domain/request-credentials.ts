import type { HawkRequestInfo } from '@bulwark/api';
import { parseHawkHeader, type HawkAttributes } from './hawk-header.js';

/** What the request claims, read before anything is verified. */
export interface RequestCredentials {
  scheme: 'header' | 'bewit';
  id: string;
  /** Unix seconds: the signing time (header) or the expiry (bewit). */
  ts: number;
  nonce: string;
  hash?: string;
  ext: { certificate?: unknown; authorizedScopes?: unknown };
  /** The header's attributes exactly as sent, for recomputing its MAC. */
  header?: Readonly<HawkAttributes>;
}

class MalformedCredentials extends Error {
  override readonly name = 'MalformedCredentials';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_MALFORMED_CREDENTIALS';
}

function throwMalformed(message: string): never {
  throw new MalformedCredentials(message);
}

const MAX_EXT_LENGTH = 256 * 1024;
const BEWIT = /[?&]bewit=([^&]*)/;

/**
 * Extracts id, timestamp, nonce and the decoded `ext` from a Hawk header or a
 * bewit, or undefined when the request carries no credentials at all. Throws on
 * malformed input, which the validator reports as an authentication failure.
 */
export function parseCredentialsInRequest(
  request: HawkRequestInfo,
): RequestCredentials | undefined {
  if (request.authorization !== undefined) {
    const attributes =
      parseHawkHeader(request.authorization) ??
      throwMalformed('Bad Request: Invalid header syntax');
    const { id, ts, nonce, mac } = attributes;
    if (!id || !ts || !nonce || !mac || !/^[0-9]{1,12}$/.test(ts)) {
      throw new MalformedCredentials('Bad Request: Missing attributes');
    }
    const parsed: RequestCredentials = {
      scheme: 'header',
      id,
      ts: Number(ts),
      nonce,
      ext: decodeExt(attributes.ext),
      header: attributes,
    };
    if (attributes.hash) parsed.hash = attributes.hash;
    return parsed;
  }
  const bewitMatch = BEWIT.exec(request.resource);
  if (!bewitMatch) return undefined;
  const encoded = bewitMatch[1] ?? '';
  if (!/^[A-Za-z0-9_-]+$/.test(encoded))
    throw new MalformedCredentials('Bad Request: Invalid bewit structure');
  const parts = Buffer.from(encoded, 'base64url').toString('utf8').split('\\');
  const [id, exp, mac, ext] = parts;
  if (parts.length !== 4 || !id || !exp || !mac || !/^[0-9]{1,12}$/.test(exp)) {
    throw new MalformedCredentials('Bad Request: Invalid bewit structure');
  }
  return { scheme: 'bewit', id, ts: Number(exp), nonce: '', ext: decodeExt(ext) };
}

/** Shared by every request without `ext` (most of them), so none allocates one. */
const NO_EXT: RequestCredentials['ext'] = Object.freeze({});

function decodeExt(ext: string | undefined): RequestCredentials['ext'] {
  if (!ext) return NO_EXT;
  if (ext.length > MAX_EXT_LENGTH) throw new MalformedCredentials('ext is too large');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(ext, 'base64').toString('utf8'));
  } catch {
    throw new MalformedCredentials('Failed to parse ext');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedCredentials('ext must be a JSON object');
  }
  const { certificate, authorizedScopes } = value as Record<string, unknown>;
  const result: RequestCredentials['ext'] = {};
  // A certificate is sent as an object; tolerate the JSON-string form some tools produce.
  if (certificate !== undefined)
    result.certificate =
      typeof certificate === 'string' ? parseJsonOrSelf(certificate) : certificate;
  if (authorizedScopes !== undefined) result.authorizedScopes = authorizedScopes;
  return result;
}

function parseJsonOrSelf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export { MalformedCredentials };
