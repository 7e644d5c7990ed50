// test-tier: unit
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { S3BlobStore } from './s3-blob-store.js';
import { blobStoreContract } from './testing/contract.js';

// s3rver is a real S3 protocol server (signature checks included), written in Node,
// started here on loopback with its own temporary directory.
interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

const BUCKET = 'bulwark-blobs-test';
let server: S3rverInstance | undefined;
let directory = '';
let endpoint = '';
const stores: S3BlobStore[] = [];
let prefixes = 0;

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'bulwark-s3rver-'));
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: BUCKET }],
  });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
});

after(async () => {
  for (const store of stores) store.close();
  await server?.close();
  await rm(directory, { recursive: true, force: true });
});

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

function newStore(): S3BlobStore {
  const store = new S3BlobStore({
    endpoint,
    bucket: BUCKET,
    // Each test gets its own prefix, as separate deployments sharing a bucket would.
    prefix: `t${++prefixes}/`,
    credentials,
    forcePathStyle: true,
    partSize: 5 * 1024 * 1024,
  });
  stores.push(store);
  return store;
}

blobStoreContract('s3', async () => Promise.resolve(newStore()));

test('s3: temporary keys are removed after both accepted and refused writes', async () => {
  const store = newStore();
  const prefix = `t${prefixes}/`;
  await store.put(Readable.from([Buffer.from('kept')]));
  await assert.rejects(store.put(Readable.from([Buffer.from('refused')]), { expectedSize: 1 }));
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
  });
  try {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    const keys = (listed.Contents ?? []).map((o) => o.Key ?? '');
    assert.equal(keys.length, 1);
    assert.match(keys[0] ?? '', new RegExp(`^${prefix}sha256/[0-9a-f]{64}$`));
  } finally {
    client.destroy();
  }
});
