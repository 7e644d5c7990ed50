export {
  BlobRejectedError,
  InvalidBlobNameError,
  assertSha256Hex,
  clampRange,
  isBlobRejectedError,
  isSha256Hex,
  type BlobInfo,
  type BlobRejection,
  type BlobSource,
  type BlobStore,
  type ByteRange,
  type PutOptions,
} from './blob-store.js';
export { FilesystemBlobStore, type FilesystemBlobStoreOptions } from './fs-blob-store.js';
export { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';
