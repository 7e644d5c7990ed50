import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BlobRejectedError, type BlobInfo, type PutOptions } from './blob-store.js';

/**
 * Hashes and counts bytes as they pass, and fails the stream the moment the content
 * is longer than allowed, so an oversized upload is cut off instead of stored.
 */
export class MeasuringStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private readonly limit: number | undefined;

  constructor(private readonly options: PutOptions = {}) {
    super();
    const limits = [options.maxSize, options.expectedSize].filter(
      (n): n is number => n !== undefined,
    );
    this.limit = limits.length > 0 ? Math.min(...limits) : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.limit !== undefined && this.bytes > this.limit) {
      done(tooLong(this.options, this.bytes));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  /** The digest and size of everything that passed; checks the uploader's claims. */
  result(): BlobInfo {
    const info = { sha256: this.hash.digest('hex'), size: this.bytes };
    verifyClaims(info, this.options);
    return info;
  }
}

function tooLong(options: PutOptions, seen: number): BlobRejectedError {
  if (options.expectedSize !== undefined && seen > options.expectedSize) {
    return new BlobRejectedError(
      'size-mismatch',
      `the content is longer than the announced ${options.expectedSize} bytes`,
    );
  }
  return new BlobRejectedError(
    'too-large',
    `the content is larger than the limit of ${options.maxSize ?? 0} bytes`,
  );
}

export function verifyClaims(info: BlobInfo, options: PutOptions): void {
  if (options.expectedSize !== undefined && info.size !== options.expectedSize) {
    throw new BlobRejectedError(
      'size-mismatch',
      `received ${info.size} bytes but ${options.expectedSize} were announced`,
    );
  }
  if (options.expectedSha256 !== undefined && info.sha256 !== options.expectedSha256) {
    throw new BlobRejectedError(
      'sha256-mismatch',
      'the content does not match the announced sha256 digest',
    );
  }
}
