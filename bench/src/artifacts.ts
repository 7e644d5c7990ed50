/**
 * bench/artifacts: memory of a large artifact upload and download.
 *
 * Starts `bulwark serve` as its own process, uploads a 64 MiB and a 256 MiB object
 * artifact with the published client's `upload` helper (putUrl), then downloads each
 * with `downloadArtifact` (which checks the sha256), sampling the server's resident
 * memory (VmRSS: heap, buffers and everything else) every 20 ms. The data streams
 * through the server, so its growth must stay below the smaller blob and must not
 * follow the blob's size. Prints the growth over the idle baseline, and throughput.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tc from 'taskcluster-client';
import { startServerProcess } from './server-process.js';

const MIB = 1024 * 1024;
/** Two sizes: the growth must not follow the blob's size. */
const SIZES_MIB = (process.env.BENCH_BLOB_MIB ?? '64,256').split(',').map(Number);

type Fn = (...args: unknown[]) => Promise<unknown>;
interface Credentials {
  clientId: string;
  accessToken: string;
  certificate?: string;
}
interface ClaimResponse {
  tasks: { credentials: Credentials }[];
}
interface CreatedObject {
  projectId: string;
  name: string;
  expires: string;
  uploadId: string;
  credentials: Credentials;
}
interface Client {
  Queue: new (options: object) => Record<string, Fn>;
  Object: new (options: object) => Record<string, Fn>;
  slugid(): string;
  upload(options: object): Promise<void>;
  downloadArtifact(options: object): Promise<string>;
}
const taskcluster = tc as unknown as Client;

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

/** Samples the server's RSS while `work` runs; answers the peak. */
async function peakRssDuring(pid: number, work: () => Promise<void>): Promise<number> {
  let peak = await rssBytes(pid);
  let running = true;
  const sampler = (async () => {
    while (running) {
      peak = Math.max(peak, await rssBytes(pid));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    await work();
  } finally {
    running = false;
    await sampler;
  }
  return Math.max(peak, await rssBytes(pid));
}

/** 1 MiB of varied bytes, repeated: generated on the fly, never held whole. */
function blobStream(blobMib: number): Readable {
  const block = Buffer.alloc(MIB);
  for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;
  return Readable.from(
    (function* () {
      for (let i = 0; i < blobMib; i++) yield block;
    })(),
  );
}

/** Passes data on while hashing it, as the blob store does. */
function hashing(): Transform {
  const hash = createHash('sha256');
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      hash.digest();
      done();
    },
  });
}

/**
 * The floor: the same bytes hashed into a file and read back hashed, in this process,
 * with no HTTP, database or credentials: MiB/s for the write and for the read.
 */
async function rawFloor(blobMib: number): Promise<{ write: number; read: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'bulwark-bench-floor-'));
  try {
    const path = join(dir, 'blob');
    let started = Date.now();
    await pipeline(blobStream(blobMib), hashing(), createWriteStream(path, { mode: 0o600 }));
    const write = blobMib / ((Date.now() - started) / 1000);
    started = Date.now();
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    await pipeline(createReadStream(path), hashing(), sink);
    const read = blobMib / ((Date.now() - started) / 1000);
    return { write, read };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const server = await startServerProcess();
  const { pid } = server;
  try {
    const credentials = server.root;
    const queue = new taskcluster.Queue({ rootUrl: server.rootUrl, credentials, retries: 0 });
    const taskId = taskcluster.slugid();
    const now = Date.now();
    await queue.createTask!(taskId, {
      taskQueueId: 'bench/artifacts',
      created: new Date(now).toJSON(),
      deadline: new Date(now + 3600_000).toJSON(),
      payload: {},
      metadata: {
        name: 'bench',
        description: 'artifact bench',
        owner: 'bench@example.com',
        source: 'https://example.com',
      },
    });
    const { tasks } = (await queue.claimWork!('bench/artifacts', {
      workerGroup: 'bench',
      workerId: 'bench-1',
      tasks: 1,
    })) as ClaimResponse;
    const run = new taskcluster.Queue({
      rootUrl: server.rootUrl,
      credentials: tasks[0]?.credentials,
      retries: 0,
    });
    const mib = (n: number): string => (n / MIB).toFixed(1);
    // Let start-up garbage settle before the baseline.
    await new Promise((r) => setTimeout(r, 1000));
    const baseline = await rssBytes(pid);
    console.log(`server RSS baseline ${mib(baseline)} MiB`);
    const growth: number[] = [];
    for (const blobMib of SIZES_MIB) {
      const size = blobMib * MIB;
      const name = `public/big-${blobMib}.bin`;
      const created = (await run.createArtifact!(taskId, 0, name, {
        storageType: 'object',
        expires: new Date(now + 86400_000).toJSON(),
        contentType: 'application/octet-stream',
        contentLength: size,
      })) as CreatedObject;
      let started = Date.now();
      const uploadPeak = await peakRssDuring(pid, () =>
        taskcluster.upload({
          projectId: created.projectId,
          name: created.name,
          contentType: 'application/octet-stream',
          contentLength: size,
          expires: new Date(created.expires),
          uploadId: created.uploadId,
          object: new taskcluster.Object({
            rootUrl: server.rootUrl,
            credentials: created.credentials,
            retries: 0,
          }),
          streamFactory: async () => blobStream(blobMib),
          retries: 0,
        }),
      );
      const uploadSeconds = (Date.now() - started) / 1000;
      await run.finishArtifact!(taskId, 0, name, { uploadId: created.uploadId });

      let received = 0;
      started = Date.now();
      const downloadPeak = await peakRssDuring(pid, async () => {
        await taskcluster.downloadArtifact({
          taskId,
          runId: 0,
          name,
          queue,
          retries: 0,
          streamFactory: async () =>
            new Writable({
              write(chunk: Buffer, _encoding, done) {
                received += chunk.length;
                done();
              },
            }),
        });
      });
      const downloadSeconds = (Date.now() - started) / 1000;
      if (received !== size) throw new Error(`downloaded ${received} of ${size} bytes`);
      const floor = await rawFloor(blobMib);
      const up = blobMib / uploadSeconds;
      const down = blobMib / downloadSeconds;
      console.log(
        `${blobMib} MiB upload:   peak RSS +${mib(uploadPeak - baseline)} MiB, ${up.toFixed(0)} MiB/s ` +
          `(raw hash+write floor ${floor.write.toFixed(0)} MiB/s, ratio ${(up / floor.write).toFixed(2)})`,
      );
      console.log(
        `${blobMib} MiB download: peak RSS +${mib(downloadPeak - baseline)} MiB, ${down.toFixed(0)} MiB/s ` +
          `(raw read+hash floor ${floor.read.toFixed(0)} MiB/s, ratio ${(down / floor.read).toFixed(2)}; sha256 verified by the client)`,
      );
      growth.push(Math.max(uploadPeak, downloadPeak) - baseline);
    }
    // Streaming means a bounded working set (buffers, GC slack) whatever the size.
    const smallest = Math.min(...SIZES_MIB) * MIB;
    const spread = Math.max(...growth) - Math.min(...growth);
    const bounded = Math.max(...growth) < smallest && spread < 16 * MIB;
    console.log(
      `${bounded ? 'ok' : 'FAIL'}: growth ${growth.map(mib).join(' / ')} MiB for ${SIZES_MIB.join(' / ')} MiB blobs`,
    );
  } finally {
    await server.stop();
  }
}

await main();
