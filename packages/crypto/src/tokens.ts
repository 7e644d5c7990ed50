import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';

/**
 * A fresh access token: 33 bytes from the CSPRNG, base64url, exactly 44
 * characters, as Taskcluster's (its schema accepts 22..66 of `[a-zA-Z0-9_-]`).
 */
export function generateAccessToken(): string {
  return randomBytes(33).toString('base64url');
}

/** Equal-length-independent constant-time comparison of two strings. */
export function constantTimeEqual(a: string, b: string): boolean {
  // Hash first so the comparison time does not reveal the length of either input.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}
