import { ApiError, decodeContinuationToken, encodeContinuationToken } from '@bulwark/api';

/** Taskcluster's default and largest page (reference §8.3: 1000 per list call). */
export const MAX_PAGE = 1000;

export interface PageQuery {
  continuationToken?: string;
  limit?: string;
}

/** The page size asked for, clamped to 1..MAX_PAGE (the query pattern admits only digits). */
export function pageLimit(query: PageQuery): number {
  const requested = query.limit === undefined ? MAX_PAGE : Number(query.limit);
  return Math.min(Math.max(requested, 1), MAX_PAGE);
}

/**
 * Cuts a fetch of `limit + 1` rows to the page and, when the extra row shows more
 * exist, adds the token that resumes after the page's last row.
 */
export function pageOf<T>(
  rows: readonly T[],
  limit: number,
  keyOf: (row: T) => string,
): { items: T[]; continuationToken?: string } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return rows.length > limit && last !== undefined
    ? { items, continuationToken: encodeContinuationToken(keyOf(last)) }
    : { items };
}

const badToken = (): ApiError =>
  new ApiError(
    'InvalidRequestArguments',
    'Invalid request arguments: continuationToken is not one this service issued',
  );

/** The key a token resumes after, or undefined for the first page; a token we could not have issued is a 400. */
export function afterKey(query: PageQuery): string | undefined {
  return decodeContinuationToken(query.continuationToken);
}

/**
 * A key made of several parts joined by `separator` (none of the parts may contain
 * it), each checked by its pattern; anything else is a 400.
 */
export function afterParts(
  query: PageQuery,
  separator: string,
  patterns: readonly RegExp[],
): string[] | undefined {
  const key = afterKey(query);
  if (key === undefined) return undefined;
  const parts = key.split(separator);
  if (parts.length !== patterns.length || !parts.every((p, i) => patterns[i]?.test(p))) {
    throw badToken();
  }
  return parts;
}

/** A single-part key that must match `pattern`; anything else is a 400. */
export function afterMatching(query: PageQuery, pattern: RegExp): string | undefined {
  const key = afterKey(query);
  if (key !== undefined && !pattern.test(key)) throw badToken();
  return key;
}
