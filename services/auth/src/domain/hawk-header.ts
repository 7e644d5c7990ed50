import hawk from 'hawk';

/** Attributes hawk knows; any other name fails the header, as in hawk. */
export interface HawkAttributes {
  id?: string;
  ts?: string;
  nonce?: string;
  hash?: string;
  ext?: string;
  mac?: string;
  app?: string;
  dlg?: string;
}

const ATTRIBUTES = ['id', 'ts', 'nonce', 'hash', 'ext', 'mac', 'app', 'dlg'] as const;

/**
 * Parses a Hawk `Authorization` header with the `hawk` package's own parser, so the
 * language accepted is exactly the one every Hawk client writes. A header hawk refuses
 * (another scheme, bad syntax, an unknown or repeated attribute, one too long) is
 * undefined. Security-critical parsing stays with the library (decision D28): the
 * microsecond a hand-written scanner saved is nothing beside the nonce each request
 * commits (D24).
 */
export function parseHawkHeader(header: string): HawkAttributes | undefined {
  let parsed: Record<string, string>;
  try {
    parsed = hawk.utils.parseAuthorizationHeader(header, [...ATTRIBUTES]);
  } catch {
    return undefined;
  }
  // A fresh object with known keys only: nothing the client named reaches further.
  const attributes: HawkAttributes = {};
  for (const name of ATTRIBUTES) {
    if (Object.hasOwn(parsed, name)) attributes[name] = parsed[name];
  }
  return attributes;
}
