// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { canonicalTarget, type PathRefusal } from './canonical-path.js';

// S2, S12: every spelling that another reader (a router that decodes, a WHATWG URL
// parser, anything that decodes twice) could take to mean a different path is refused.
const REFUSED: [string, PathRefusal][] = [
  // From the red-team finding: the secrets get endpoint spelled so a string check misses it.
  ['/api/secrets/v1/%73ecret/proj%2Fx', 'encoded-unreserved-character'],
  ['/api/%73ecrets/v1/secret/proj%2Fx', 'encoded-unreserved-character'],
  ['/api/secrets/v1/secret/%70roj%2Fx', 'encoded-unreserved-character'],
  // Encoded dots, in either case, and double encoding.
  ['/api/auth/v1/%2e%2e/%2e%2e/secrets/v1/secret/proj%2Fx', 'lower-case-percent-encoding'],
  ['/api/auth/v1/%2E%2E/%2E%2E/secrets/v1/secret/proj%2Fx', 'encoded-unreserved-character'],
  ['/api/auth/v1/%2E./x', 'encoded-unreserved-character'],
  ['/api/secrets/v1/secret/proj%252Fx', 'double-encoding'],
  ['/api/auth/v1/%252e%252e/x', 'double-encoding'],
  ['/api/secrets/v1/secret/%25%32%65', 'encoded-unreserved-character'],
  // Dot segments, raw or hidden behind an encoded slash.
  ['/api/auth/v1/../../secrets/v1/secret/proj%2Fx', 'dot-segment'],
  ['/api/auth/v1/./ping', 'dot-segment'],
  ['/api/../auth/v1/ping', 'dot-segment'],
  ['/api/secrets/v1/secret/..%2F', 'dot-segment'],
  ['/api/secrets/v1/secret/..%2f', 'lower-case-percent-encoding'],
  ['/api/secrets/v1/secret/proj%2F..%2Fother%2Fy', 'dot-segment'],
  ['/api/secrets/v1/secret/%2Fproj%2Fx', 'empty-segment'],
  ['/api/secrets/v1/secret/proj%2F%2Fx', 'empty-segment'],
  // Backslashes, raw and encoded.
  ['/api/auth/v1\\..\\..\\secrets/v1/secret/proj%2Fx', 'backslash'],
  ['/api/auth/v1/%5C..%5Csecrets', 'encoded-backslash'],
  // Double slashes.
  ['/api/secrets/v1/secret//proj%2Fx', 'empty-segment'],
  ['//api/secrets/v1/secret/proj%2Fx', 'empty-segment'],
  // NUL, controls, overlong UTF-8 and other non-ASCII.
  ['/api/secrets/v1/secret/proj%00x', 'encoded-control-or-non-ascii'],
  ['/api/secrets/v1/secret/proj\u0000x', 'forbidden-character'],
  ['/api/secrets/v1/secret/%C0%AE%C0%AE%2Fx', 'encoded-control-or-non-ascii'],
  ['/api/secrets/v1/secret/%E2%80%A4%E2%80%A4', 'encoded-control-or-non-ascii'],
  ['/api/secrets/v1/secret/proj\u00e9', 'forbidden-character'],
  ['/api/secrets/v1/secret/pr oj', 'forbidden-character'],
  // A raw `;`, which some routers take for a delimiter (the client sends `%3B`).
  ['/api/secrets/v1/secret/proj%2Fx;/other%2Fy', 'forbidden-character'],
  // Malformed escapes.
  ['/api/secrets/v1/secret/proj%2', 'malformed-percent-encoding'],
  ['/api/secrets/v1/secret/proj%zz', 'malformed-percent-encoding'],
  ['/api/secrets/v1/secret/proj%2Fx?a=%zz', 'malformed-percent-encoding'],
  // Targets that are not origin-form.
  ['http://127.0.0.1/api/secrets/v1/secret/proj%2Fx', 'absolute-form'],
  ['*', 'absolute-form'],
  ['', 'absolute-form'],
  ['/api/auth/v1/ping#x', 'fragment'],
  [`/api/auth/v1/${'a'.repeat(9000)}`, 'too-long'],
  // Not an API path.
  ['/', 'not-an-api-path'],
  ['/other', 'not-an-api-path'],
  ['/api/AUTH/v1/ping', 'not-an-api-path'],
  ['/api/auth/v1', 'not-an-api-path'],
];

test('S2, S12: ambiguous spellings of a path are refused with a reason', () => {
  for (const [target, reason] of REFUSED) {
    const result = canonicalTarget(target);
    assert.equal(result.ok, false, target);
    if (!result.ok) assert.equal(result.reason, reason, target);
  }
});

test('S2: canonical targets are accepted as they are, the query kept verbatim', () => {
  const accepted: [string, string][] = [
    ['/api/auth/v1/ping', 'auth'],
    ['/api/auth/v1/clients/', 'auth'],
    ['/api/secrets/v1/secret/project%2Fdemo%2Fsecret', 'secrets'],
    ['/api/secrets/v1/secret/proj/x', 'secrets'],
    ['/api/queue/v1/task/abc/runs/0/artifacts/public%2Fa%20b.txt', 'queue'],
    ['/api/queue/v1/task/abc/artifacts?limit=10&continuationToken=abc%2Fdef', 'queue'],
    ['/api/object/v1/upload/t%2Fabc%2F0%2Fpublic%2Fx', 'object'],
    ['/api/secrets/v1/secret/100%25', 'secrets'],
    ["/api/secrets/v1/secret/it's", 'secrets'],
    ['/api/secrets/v1/secret/a%3Bb', 'secrets'],
  ];
  for (const [target, service] of accepted) {
    const result = canonicalTarget(target);
    assert.ok(result.ok, target);
    if (result.ok) {
      assert.equal(result.path + result.search, target);
      assert.equal(result.service, service);
    }
  }
});

test('S2: an accepted path means the same to a URL parser and to a router that decodes', () => {
  // Why refusing suffices: an accepted path is what a WHATWG URL parser makes of it, and
  // decoding its segments a second time changes nothing.
  const samples = [
    '/api/secrets/v1/secret/project%2Fdemo%2Fsecret',
    '/api/queue/v1/task/abc/runs/0/artifacts/public%2Fa%20b.txt',
    '/api/secrets/v1/secret/100%25',
    '/api/auth/v1/clients/',
  ];
  for (const target of samples) {
    assert.ok(canonicalTarget(target).ok, target);
    assert.equal(new URL(target, 'http://x').pathname, target);
    for (const segment of target.split('/')) {
      const once = decodeURIComponent(segment);
      assert.equal(safeDecode(once), once, target);
    }
  }
  // And the finding's spellings are exactly those a parser or a decoder reads otherwise.
  assert.equal(new URL('/api/auth/v1/%2e%2e/%2e%2e/x', 'http://x').pathname, '/api/x');
  assert.equal(new URL('/api/auth/v1\\..\\..\\x', 'http://x').pathname, '/api/x');
  assert.equal(decodeURIComponent('%73ecret'), 'secret');
});

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
