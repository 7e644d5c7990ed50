/**
 * Parses a Hawk `Authorization` header into its attributes, accepting exactly the
 * language of the `hawk` package's parser (same scheme rule, attribute names, value
 * alphabet, duplicate rule and length limit; proven equivalent by a property test).
 * It exists because it runs on every authenticated request: hawk's parser rewrites
 * the header through a replace callback (about 1.4 µs here); this takes about 0.9 µs.
 * Returns undefined for anything hawk would refuse.
 */

/** hawk's `limits.maxMatchLength`. */
const MAX_HEADER_LENGTH = 4096;
const KNOWN = new Set(['id', 'ts', 'nonce', 'hash', 'ext', 'mac', 'app', 'dlg']);
const SCHEME = /^(\w+)(?:\s+(.*))?$/;
// One `name="value"` with its separator; sticky, so attributes must follow each other
// with nothing in between, as hawk requires of what its replace leaves behind.
const ATTRIBUTE = /(\w+)="([^"\\]*)"\s*(?:,\s*|$)/y;
const VALUE = /^[ \w!#$%&'()*+,\-./:;<=>?@[\]^`{|}~]+$/;

export function parseHawkHeader(header: string): Record<string, string> | undefined {
  if (header.length === 0 || header.length > MAX_HEADER_LENGTH) return undefined;
  const parts = SCHEME.exec(header);
  if (!parts || parts[1]?.toLowerCase() !== 'hawk') return undefined;
  const rest = parts[2];
  if (!rest) return undefined;
  // A plain object keeps V8's fast properties; names are limited to KNOWN, so no
  // attribute can reach the prototype.
  const attributes: Record<string, string> = {};
  ATTRIBUTE.lastIndex = 0;
  while (ATTRIBUTE.lastIndex < rest.length) {
    const match = ATTRIBUTE.exec(rest);
    if (!match) return undefined;
    const [, name = '', value = ''] = match;
    if (!KNOWN.has(name) || !VALUE.test(value) || Object.hasOwn(attributes, name)) return undefined;
    attributes[name] = value;
  }
  return attributes;
}
