import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  assertSha256Hex,
  clampRange,
  type BlobInfo,
  type BlobSource,
  type BlobStore,
  type ByteRange,
  type PutOptions,
} from './blob-store.js';
import { MeasuringStream } from './measure.js';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Key prefix inside the bucket, e.g. `bulwark/`; blobs go under `<prefix>sha256/`. */
  prefix?: string;
  /** An S3-compatible endpoint (MinIO, Ceph, ...); AWS when absent. */
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Path-style addressing, which most self-hosted S3-compatible servers need. */
  forcePathStyle?: boolean;
  /** Bytes per multipart part; memory per upload is about four parts. Default 8 MiB. */
  partSize?: number;
}

// S3 allows a single-request copy up to 5 GiB; beyond that the copy would need parts.
const MAX_SINGLE_COPY = 5 * 1024 * 1024 * 1024;

/**
 * Blobs as objects named `<prefix>sha256/<digest>` in an S3-compatible bucket. The
 * digest is only known once the content has passed, so content streams (multipart,
 * a few parts in memory at most) to a temporary key, is verified, and is then copied
 * server-side to its digest key; the temporary object is always removed. A reader
 * therefore never finds unverified content under a digest.
 */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;

  constructor(options: S3BlobStoreOptions) {
    const config: S3ClientConfig = {
      region: options.region ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? true,
      // Checksums only where S3 requires them: the store verifies content itself, and
      // many S3-compatible servers do not understand the newer trailing checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    if (options.endpoint !== undefined) config.endpoint = options.endpoint;
    if (options.credentials !== undefined) config.credentials = options.credentials;
    this.client = new S3Client(config);
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.partSize = options.partSize ?? 8 * 1024 * 1024;
  }

  async put(source: BlobSource, options: PutOptions = {}): Promise<BlobInfo> {
    const tmpKey = `${this.prefix}tmp/${randomBytes(16).toString('hex')}`;
    const measure = new MeasuringStream(options);
    const body = (source instanceof Readable ? source : Readable.from(source)).pipe(measure);
    // A failing source must fail the upload too, not leave it waiting for more bytes.
    if (source instanceof Readable) source.once('error', (err) => measure.destroy(err));
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: tmpKey, Body: body },
      partSize: this.partSize,
      queueSize: 2,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
      const info = measure.result();
      if (info.size > MAX_SINGLE_COPY) {
        throw new Error('blobs over 5 GiB are not supported by the S3 backend yet');
      }
      if (!(await this.exists(info.sha256))) {
        await this.client.send(
          new CopyObjectCommand({
            Bucket: this.bucket,
            Key: this.keyOf(info.sha256),
            CopySource: `${this.bucket}/${encodeURIComponent(tmpKey).replace(/%2F/g, '/')}`,
          }),
        );
      }
      return info;
    } finally {
      await this.client
        .send(new DeleteObjectCommand({ Bucket: this.bucket, Key: tmpKey }))
        .catch(() => undefined);
    }
  }

  async get(sha256: string, range?: ByteRange): Promise<Readable | undefined> {
    assertSha256Hex(sha256);
    let rangeHeader: string | undefined;
    if (range) {
      const info = await this.stat(sha256);
      if (!info) return undefined;
      const clamped = clampRange(range, info.size);
      if (!clamped) throw new RangeError('the range is outside the blob');
      rangeHeader = `bytes=${clamped.start}-${clamped.end}`;
    }
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(sha256), Range: rangeHeader }),
      );
      return res.Body instanceof Readable ? res.Body : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async stat(sha256: string): Promise<BlobInfo | undefined> {
    assertSha256Hex(sha256);
    try {
      const res = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(sha256) }),
      );
      return { sha256, size: res.ContentLength ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async exists(sha256: string): Promise<boolean> {
    return (await this.stat(sha256)) !== undefined;
  }

  async delete(sha256: string): Promise<boolean> {
    // S3 answers a delete of a missing key with success, so ask first.
    const present = await this.exists(sha256);
    if (present) {
      await this.client.send(
        new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(sha256) }),
      );
    }
    return present;
  }

  /** Closes the client's connections. */
  close(): void {
    this.client.destroy();
  }

  private keyOf(sha256: string): string {
    return `${this.prefix}sha256/${sha256}`;
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}
