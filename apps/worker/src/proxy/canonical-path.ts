/**
 * The one spelling of a request target that the task proxy accepts (S2, S12).
 *
 * The proxy decides on a path (which service, whether it is the secrets service's get
 * endpoint, which upload it belongs to) and the control plane routes on a path. If the
 * two could read one request target differently, a task could pass the proxy's checks
 * with one meaning and reach the server with another: `%73ecret` is `secret` to the
 * router but not to a string comparison, `%2e%2e` and `\` become `..` and `/` in a
 * WHATWG URL parser, `%252e` becomes `.` to anything that decodes twice. So instead of
 * normalizing, the proxy accepts only targets that already are in canonical form, in
 * which every reader agrees on the meaning, and forwards that very string, unchanged:
 *
 * - origin-form only (`/…`), no fragment, at most MAX_TARGET_LENGTH characters;
 * - the path holds only RFC 3986 path characters, except a raw `;` (which some
 *   routers read as a delimiter); `%` is followed by two upper-case hex digits; what
 *   is percent-encoded must need it: never an unreserved character (`%2E`, `%73`),
 *   never a backslash, a control character or a byte outside ASCII (which also rules
 *   out overlong UTF-8 such as `%C0%AE`);
 * - no empty segment (except one trailing `/`, which routes such as `/clients/`
 *   have), no `.` or `..` segment, neither raw nor once decoded: a segment that
 *   decodes to `../x` (`..%2Fx`) or `a//b` is refused like the raw spelling;
 * - a segment decodes once to its final form: nothing in it still looks like a
 *   percent-encoding (`%252E` decodes to `%2E`, then to `.`);
 * - it starts with `/api/<service>/v<n>/`;
 * - the query holds only RFC 3986 query characters and well-formed `%XX` escapes.
 *
 * `%2F` stays allowed inside a segment: the published client sends a `/` inside a
 * route parameter that way (`/secret/project%2Fdemo`), and routers keep it encoded.
 */

export type PathRefusal =
  | 'absolute-form'
  | 'fragment'
  | 'too-long'
  | 'backslash'
  | 'forbidden-character'
  | 'malformed-percent-encoding'
  | 'lower-case-percent-encoding'
  | 'encoded-unreserved-character'
  | 'encoded-backslash'
  | 'encoded-control-or-non-ascii'
  | 'double-encoding'
  | 'empty-segment'
  | 'dot-segment'
  | 'not-an-api-path';

export type CanonicalTarget =
  | {
      ok: true;
      /** The path exactly as received and as it will be forwarded and signed. */
      path: string;
      /** `?…` exactly as received, or ''. */
      search: string;
      /** The service the path names (`/api/<service>/…`). */
      service: string;
    }
  | { ok: false; reason: PathRefusal; message: string };

/** Longer targets are refused; API paths are a few hundred characters at most. */
export const MAX_TARGET_LENGTH = 8192;

/**
 * RFC 3986 pchar plus `/`, without `;`: some routers cut a path at `;` (path
 * parameters, or a query delimiter) and the published client always encodes it.
 */
const PATH_CHARACTERS = /^[A-Za-z0-9\-._~!$&'()*+,=:@/%]*$/;
/** RFC 3986 query: pchar, `/` and `?`. */
const QUERY_CHARACTERS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const API_PREFIX = /^\/api\/([a-z][a-z0-9-]{0,63})\/v[0-9]{1,3}\//;
const PERCENT = /%([0-9A-Fa-f]{2})?/g;
const LOOKS_ENCODED = /%[0-9A-Fa-f]{2}/;

const refuse = (reason: PathRefusal, message: string): CanonicalTarget => ({
  ok: false,
  reason,
  message,
});

export function canonicalTarget(target: string): CanonicalTarget {
  if (target.length > MAX_TARGET_LENGTH) {
    return refuse('too-long', `the request target is longer than ${MAX_TARGET_LENGTH}`);
  }
  if (!target.startsWith('/')) {
    return refuse('absolute-form', 'only origin-form targets (`/api/…`) are accepted');
  }
  if (target.includes('#')) return refuse('fragment', 'a request target has no fragment');
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  const search = queryAt === -1 ? '' : target.slice(queryAt);

  if (path.includes('\\')) return refuse('backslash', 'a backslash is not a path separator');
  if (!PATH_CHARACTERS.test(path)) {
    return refuse('forbidden-character', 'the path holds a character RFC 3986 does not allow');
  }
  const escapes = checkEscapes(path, true);
  if (escapes) return escapes;

  const segments = path.slice(1).split('/');
  for (const [index, segment] of segments.entries()) {
    if (segment === '' && index !== segments.length - 1) {
      return refuse('empty-segment', 'the path has an empty segment (`//`)');
    }
    if (segment === '.' || segment === '..') {
      return refuse('dot-segment', 'the path has a `.` or `..` segment');
    }
    // Safe: checkEscapes allowed only %XX of ASCII bytes.
    const decoded = decodeURIComponent(segment);
    if (LOOKS_ENCODED.test(decoded)) {
      return refuse('double-encoding', 'a segment still holds a percent-encoding once decoded');
    }
    if (decoded !== segment) {
      for (const part of decoded.split('/')) {
        if (part === '') {
          return refuse('empty-segment', 'a segment decodes to an empty path segment');
        }
        if (part === '.' || part === '..') {
          return refuse('dot-segment', 'a segment decodes to a `.` or `..` path segment');
        }
      }
    }
  }

  const api = API_PREFIX.exec(path);
  if (!api?.[1]) {
    return refuse('not-an-api-path', 'the proxy forwards `/api/<service>/v<n>/…` only');
  }
  if (!QUERY_CHARACTERS.test(search.slice(1))) {
    return refuse('forbidden-character', 'the query holds a character RFC 3986 does not allow');
  }
  const queryEscapes = checkEscapes(search, false);
  if (queryEscapes) return queryEscapes;
  return { ok: true, path, search, service: api[1] };
}

/**
 * Every `%` starts a two-digit escape. In the path the escape must be upper case and
 * stand for a byte that needs escaping and is safe to carry: not unreserved, not `\`,
 * not a control character, not outside ASCII.
 */
function checkEscapes(text: string, strict: boolean): CanonicalTarget | undefined {
  for (const match of text.matchAll(PERCENT)) {
    const hex = match[1];
    if (hex === undefined) {
      return refuse('malformed-percent-encoding', '`%` must be followed by two hex digits');
    }
    if (!strict) continue;
    if (hex !== hex.toUpperCase()) {
      return refuse(
        'lower-case-percent-encoding',
        'percent-encodings are written `%2F`, not `%2f`',
      );
    }
    const byte = Number.parseInt(hex, 16);
    const char = String.fromCharCode(byte);
    if (UNRESERVED.test(char)) {
      return refuse(
        'encoded-unreserved-character',
        `\`%${hex}\` encodes \`${char}\`, which is written as is`,
      );
    }
    if (char === '\\') return refuse('encoded-backslash', 'the path holds an encoded backslash');
    if (byte < 0x20 || byte >= 0x7f) {
      return refuse(
        'encoded-control-or-non-ascii',
        'the path encodes a control character or a byte outside ASCII',
      );
    }
  }
  return undefined;
}
