import { ApiError } from './errors.js';

/**
 * Continuation tokens for keyset-paginated lists: opaque base64url of the last key on
 * the previous page. Services hand them out and take them back, so a token that does
 * not decode to something a service could have issued is the caller's mistake (a 400),
 * and must never reach SQL (a U+0000 there would be a server error).
 */
export const encodeContinuationToken = (key: string): string =>
  Buffer.from(key, 'utf8').toString('base64url');

// Control characters never occur in any key a list is ordered by.
const CONTROL = /[\u0000-\u001f\u007f]/;

export function decodeContinuationToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const key = Buffer.from(token, 'base64url').toString('utf8');
  // Decoding is lenient (it skips stray characters and replaces broken UTF-8), so only a
  // token that re-encodes to itself is one of ours.
  if (key.length === 0 || CONTROL.test(key) || encodeContinuationToken(key) !== token) {
    throw new ApiError(
      'InvalidRequestArguments',
      'Invalid request arguments: continuationToken is not one this service issued',
    );
  }
  return key;
}
