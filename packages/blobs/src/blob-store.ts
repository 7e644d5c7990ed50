import type { Readable } from 'node:stream';

/** A stored blob as the store itself measured it while writing. */
export interface BlobInfo {
  /** Lower-case hex SHA-256 of the content: the blob's only name. */
  readonly sha256: string;
  /** Length in bytes. */
  readonly size: number;
}

/** What the uploader claims; the store checks each given claim against what it computed. */
export interface PutOptions {
  /** The digest the uploader announced; a different content is refused. */
  readonly expectedSha256?: string;
  /** The length the uploader announced; more or fewer bytes are refused. */
  readonly expectedSize?: number;
  /** A hard ceiling: the write stops as soon as the content passes it. */
  readonly maxSize?: number;
}

/** An inclusive byte range, as HTTP's `Range: bytes=start-end`. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** Content to store: any byte stream (an HTTP request, a file, a generator). */
export type BlobSource = Readable | AsyncIterable<Uint8Array>;

/**
 * Content-addressed storage for artifact data. Every backend streams: `put` hashes
 * and measures the bytes as they pass and never holds the whole blob in memory; a
 * blob becomes visible under its digest only once complete and verified, so a reader
 * never sees a partial or unverified blob. Names are hex digests only, so no caller
 * input ever becomes part of a path or key (S12).
 */
export interface BlobStore {
  /** A short description for logs, e.g. `filesystem` or `s3`. */
  readonly kind: string;
  /**
   * Stores the content and answers its digest and size. Throws BlobRejectedError,
   * keeping nothing, when a claim does not hold or the content passes `maxSize`.
   * Storing content that is already present is harmless.
   */
  put(source: BlobSource, options?: PutOptions): Promise<BlobInfo>;
  /** The blob's content (or the given part of it), or undefined when absent. */
  get(sha256: string, range?: ByteRange): Promise<Readable | undefined>;
  stat(sha256: string): Promise<BlobInfo | undefined>;
  exists(sha256: string): Promise<boolean>;
  /** Removes the blob; true when it was there. */
  delete(sha256: string): Promise<boolean>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}

/** Refuses anything but a digest before it can reach a path or an object key (S12). */
export function assertSha256Hex(value: string): void {
  if (!isSha256Hex(value)) throw new InvalidBlobNameError();
}

export class InvalidBlobNameError extends Error {
  override readonly name = 'InvalidBlobNameError';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_INVALID_BLOB_NAME';
  constructor() {
    super('a blob name must be a lower-case hex sha256 digest');
  }
}

export type BlobRejection = 'sha256-mismatch' | 'size-mismatch' | 'too-large';

/** The content did not match what the uploader claimed; nothing was kept. */
export class BlobRejectedError extends Error {
  override readonly name = 'BlobRejectedError';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_BLOB_REJECTED';
  constructor(
    readonly reason: BlobRejection,
    message: string,
  ) {
    super(message);
  }
}

export function isBlobRejectedError(err: unknown): err is BlobRejectedError {
  return err instanceof BlobRejectedError;
}

/** Checks a range against a blob's size; undefined when it cannot be served. */
export function clampRange(range: ByteRange, size: number): ByteRange | undefined {
  if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end)) return undefined;
  if (range.start < 0 || range.start > range.end || range.start >= size) return undefined;
  return { start: range.start, end: Math.min(range.end, size - 1) };
}
