import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import {
  BlobRejectedError,
  InvalidBlobNameError,
  type BlobRejection,
  type BlobStore,
} from '../blob-store.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Chunks of `chunkSize` until `total` bytes, counting how many were pulled. */
function chunked(total: number, chunkSize: number, pulled: { count: number }): Readable {
  return Readable.from(
    (function* () {
      for (let sent = 0; sent < total; sent += chunkSize) {
        pulled.count++;
        yield Buffer.alloc(Math.min(chunkSize, total - sent), pulled.count % 251);
      }
    })(),
    { objectMode: false },
  );
}

async function assertRejected(promise: Promise<unknown>, reason: BlobRejection): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof BlobRejectedError, `expected BlobRejectedError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    return true;
  });
}

/**
 * The behaviour every BlobStore must have, run by each backend's test file against
 * a real instance of that backend.
 */
export function blobStoreContract(name: string, open: () => Promise<BlobStore>): void {
  const withStore = (title: string, body: (store: BlobStore) => Promise<void>): void => {
    void test(`${name}: ${title}`, async () => body(await open()));
  };

  withStore(
    'put computes the digest and size itself; get returns the same bytes',
    async (store) => {
      const data = randomBytes(300_000);
      const info = await store.put(Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
      assert.deepEqual(info, { sha256: sha256(data), size: data.length });
      assert.deepEqual(await store.stat(info.sha256), info);
      assert.equal(await store.exists(info.sha256), true);
      const stream = await store.get(info.sha256);
      assert.ok(stream);
      assert.ok((await readAll(stream)).equals(data));
    },
  );

  withStore('empty content is a blob like any other', async (store) => {
    const info = await store.put(Readable.from([]));
    assert.deepEqual(info, { sha256: sha256(Buffer.alloc(0)), size: 0 });
    const stream = await store.get(info.sha256);
    assert.ok(stream);
    assert.equal((await readAll(stream)).length, 0);
  });

  withStore('storing the same content twice is harmless', async (store) => {
    const data = randomBytes(4096);
    const first = await store.put(Readable.from([data]), { expectedSha256: sha256(data) });
    const second = await store.put(Readable.from([data]), { expectedSize: data.length });
    assert.deepEqual(first, second);
    const stream = await store.get(first.sha256);
    assert.ok(stream && (await readAll(stream)).equals(data));
  });

  withStore(
    'a claimed digest that does not match is refused and nothing is kept',
    async (store) => {
      const data = randomBytes(10_000);
      await assertRejected(
        store.put(Readable.from([data]), { expectedSha256: sha256(Buffer.from('other')) }),
        'sha256-mismatch',
      );
      assert.equal(await store.exists(sha256(data)), false);
    },
  );

  withStore('a truncated upload (fewer bytes than announced) is refused', async (store) => {
    const data = randomBytes(10_000);
    await assertRejected(
      store.put(Readable.from([data]), { expectedSize: data.length + 1 }),
      'size-mismatch',
    );
    assert.equal(await store.exists(sha256(data)), false);
  });

  withStore('more bytes than announced are refused', async (store) => {
    const data = randomBytes(10_000);
    await assertRejected(
      store.put(Readable.from([data]), { expectedSize: data.length - 1 }),
      'size-mismatch',
    );
    assert.equal(await store.exists(sha256(data)), false);
  });

  withStore('content over maxSize is cut off early, not read to the end', async (store) => {
    const pulled = { count: 0 };
    const chunkSize = 256 * 1024;
    // 256 MiB offered, 1 MiB allowed: the store must stop long before the end.
    await assertRejected(
      store.put(chunked(256 * 1024 * 1024, chunkSize, pulled), { maxSize: 1024 * 1024 }),
      'too-large',
    );
    assert.ok(pulled.count < 64, `pulled ${pulled.count} chunks`);
  });

  withStore('a source that fails midway stores nothing', async (store) => {
    const data = randomBytes(50_000);
    const failing = Readable.from(
      (async function* () {
        yield data.subarray(0, 20_000);
        await Promise.resolve();
        throw new Error('connection reset');
      })(),
    );
    await assert.rejects(store.put(failing), /connection reset/);
    assert.equal(await store.exists(sha256(data.subarray(0, 20_000))), false);
  });

  withStore('get serves an inclusive byte range, clamped to the end', async (store) => {
    const data = randomBytes(100_000);
    const { sha256: digest } = await store.put(Readable.from([data]));
    const part = await store.get(digest, { start: 10, end: 19 });
    assert.ok(part && (await readAll(part)).equals(data.subarray(10, 20)));
    const tail = await store.get(digest, { start: 99_990, end: 1_000_000 });
    assert.ok(tail && (await readAll(tail)).equals(data.subarray(99_990)));
    await assert.rejects(store.get(digest, { start: 100_000, end: 100_001 }), RangeError);
  });

  withStore('delete removes a blob once', async (store) => {
    const data = randomBytes(1000);
    const { sha256: digest } = await store.put(Readable.from([data]));
    assert.equal(await store.delete(digest), true);
    assert.equal(await store.delete(digest), false);
    assert.equal(await store.get(digest), undefined);
    assert.equal(await store.stat(digest), undefined);
  });

  withStore('S12: anything but a hex digest is refused as a name', async (store) => {
    for (const bad of ['../etc/passwd', 'A'.repeat(64), `${'a'.repeat(63)}/`, '', 'a'.repeat(65)]) {
      await assert.rejects(store.get(bad), InvalidBlobNameError);
      await assert.rejects(store.stat(bad), InvalidBlobNameError);
      await assert.rejects(store.delete(bad), InvalidBlobNameError);
    }
  });
}
