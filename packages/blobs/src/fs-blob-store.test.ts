// test-tier: unit
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, symlink, writeFile, mkdir, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { FilesystemBlobStore } from './fs-blob-store.js';
import { blobStoreContract, readAll } from './testing/contract.js';

const roots: string[] = [];
after(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function newRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'bulwark-blobs-test-'));
  roots.push(root);
  return join(root, 'blobs');
}

blobStoreContract('filesystem', async () =>
  FilesystemBlobStore.open({ directory: await newRoot() }),
);

test('filesystem: S11: blob files are 0600 and directories 0700', async () => {
  const dir = await newRoot();
  const store = await FilesystemBlobStore.open({ directory: dir });
  const { sha256 } = await store.put(Readable.from([Buffer.from('hello')]));
  const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;
  assert.equal(await mode(dir), 0o700);
  assert.equal(await mode(join(dir, 'sha256')), 0o700);
  assert.equal(await mode(join(dir, 'sha256', sha256.slice(0, 2))), 0o700);
  assert.equal(await mode(join(dir, 'sha256', sha256.slice(0, 2), sha256)), 0o600);
});

test('filesystem: a refused write leaves no temporary file behind', async () => {
  const dir = await newRoot();
  const store = await FilesystemBlobStore.open({ directory: dir });
  await assert.rejects(store.put(Readable.from([Buffer.alloc(100)]), { expectedSize: 99 }));
  await assert.rejects(
    store.put(Readable.from([Buffer.alloc(100)]), { expectedSha256: '0'.repeat(64) }),
  );
  assert.deepEqual(await readdir(join(dir, 'tmp')), []);
  assert.deepEqual(await readdir(join(dir, 'sha256')), []);
});

test('filesystem: stale temporary files from a crash are removed on open, fresh ones kept', async () => {
  const dir = await newRoot();
  await FilesystemBlobStore.open({ directory: dir });
  const stale = join(dir, 'tmp', `${'a'.repeat(32)}.part`);
  const fresh = join(dir, 'tmp', `${'b'.repeat(32)}.part`);
  await writeFile(stale, 'x');
  await writeFile(fresh, 'y');
  const old = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
  await utimes(stale, old, old);
  await FilesystemBlobStore.open({ directory: dir });
  assert.deepEqual(await readdir(join(dir, 'tmp')), [`${'b'.repeat(32)}.part`]);
});

test('filesystem: S12: a symbolic link planted under a digest name is not followed', async () => {
  const dir = await newRoot();
  const store = await FilesystemBlobStore.open({ directory: dir });
  const outside = join(dir, '..', 'outside-secret');
  await writeFile(outside, 'not a blob');
  const digest = 'c'.repeat(64);
  await mkdir(join(dir, 'sha256', 'cc'), { recursive: true });
  await symlink(outside, join(dir, 'sha256', 'cc', digest));
  assert.equal(await store.get(digest), undefined);
  // A real blob written under that name replaces the link rather than writing through it.
  const stream = await store.get((await store.put(Readable.from([Buffer.from('real')]))).sha256);
  assert.ok(stream);
  assert.equal((await readAll(stream)).toString(), 'real');
});
