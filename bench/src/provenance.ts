/**
 * bench/provenance: the control plane's cost of writing a completed task's provenance,
 * next to a plain createTask round trip measured in the same run.
 *
 * Starts the platform in this process (startPlatform, embedded PostgreSQL, fresh data
 * dir) with the background provenance writer idle, and for each sample:
 *   1. createTask over HTTP with taskcluster-client and Hawk: the round trip;
 *   2. claims the task and uploads one small artifact as a worker does (not timed);
 *   3. completes the run in the database, as the completing transaction does (its
 *      trigger puts the task on the waiting list), so no nudge races the measurement;
 *   4. times generation and signing alone (statement, SLSA predicate, DSSE, Ed25519) on
 *      the task's real facts, then the whole write (one transaction: the facts read, the
 *      envelope signed, stored in the blob store, the artifact and audit entry inserted).
 * Target: generation and signing under 2 ms at the median. Misses are printed, not
 * failed. Loopback only; everything it made is removed at the end.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import taskcluster from 'taskcluster-client';
import { createLogger } from '@bulwark/api';
import { queries } from '@bulwark/db';
import {
  PROVENANCE_ARTIFACT,
  provenanceEnvelope,
  writeNextProvenance,
} from '@bulwark/queue-service';
import { resolveConfig, startPlatform } from '@bulwark/server';
import { fmt, median, percentile } from './stats.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const WARMUP = 20;
const TARGET_MS = 2;
const QUEUE = 'bench-prov/worker';

const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-bench-provenance-'));
const platform = await startPlatform(resolveConfig({ dataDir, port: 0 }, {}), {
  logger: createLogger({ level: 'warn' }),
  tuning: { queue: { provenanceIntervalMs: 3_600_000 } },
});
try {
  const queueService = platform.running.queue!;
  const ctx = queueService.context;
  const root = JSON.parse(await readFile(platform.rootCredentialsPath, 'utf8')) as {
    clientId: string;
    accessToken: string;
  };
  const queue = new taskcluster.Queue({
    rootUrl: platform.rootUrl,
    credentials: root,
  });
  const createMs: number[] = [];
  const signMs: number[] = [];
  const writeMs: number[] = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const taskId = taskcluster.slugid();
    const now = Date.now();
    const t0 = performance.now();
    await queue.createTask!(taskId, {
      taskQueueId: QUEUE,
      created: new Date(now).toJSON(),
      deadline: new Date(now + 3600_000).toJSON(),
      payload: { command: ['make', 'release'], env: { MODE: 'release' } },
      metadata: {
        name: 'bench',
        description: 'provenance bench',
        owner: 'b@example.com',
        source: 'https://example.com',
      },
    });
    const created = performance.now() - t0;
    const { tasks } = (await queue.claimWork!(QUEUE, {
      workerGroup: 'bench',
      workerId: 'w1',
      tasks: 1,
    })) as {
      tasks: { runId: number }[];
    };
    const runId = tasks[0]!.runId;
    const blob = await ctx.blobs.store.put(Readable.from([Buffer.from(`artifact ${i}`)]));
    await queries.blobs.registerBlob(ctx.pool, blob, new Date());
    await queries.provenance.insertStoredArtifact(
      ctx.pool,
      {
        taskId,
        runId,
        name: 'public/app.bin',
        contentType: 'application/octet-stream',
        expires: new Date(now + 86_400_000),
        sha256: blob.sha256,
        size: blob.size,
      },
      new Date(),
    );
    await ctx.pool.query(
      `UPDATE task_runs SET state = 'completed', reason_resolved = 'completed', resolved = now()
        WHERE task_id = $1 AND run_id = $2`,
      [taskId, runId],
    );
    // Generation and signing alone, on the task's real facts.
    const task = (await queries.queueTasks.getTask(ctx.pool, taskId))!;
    const run = (await queries.queueRuns.getRuns(ctx.pool, taskId))[0]!;
    const artifacts = await queries.provenance.storedArtifacts(ctx.pool, taskId, runId);
    const key = await ctx.provenance.keys.current(ctx.pool, new Date());
    const t1 = performance.now();
    provenanceEnvelope(
      {
        rootUrl: platform.rootUrl,
        task,
        runs: [
          {
            runId,
            workerGroup: 'bench',
            workerId: 'w1',
            started: run.started!,
            resolved: run.resolved!,
          },
        ],
        artifacts,
        dependencyDigests: new Map(),
        trustLevel: 1,
      },
      key,
    );
    const signed = performance.now() - t1;
    const t2 = performance.now();
    if (!(await writeNextProvenance(ctx))) throw new Error('nothing was waiting');
    const written = performance.now() - t2;
    if (i >= WARMUP) {
      createMs.push(created);
      signMs.push(signed);
      writeMs.push(written);
    }
  }
  const { rowCount } = await ctx.pool.query(`SELECT 1 FROM artifacts WHERE name = $1`, [
    PROVENANCE_ARTIFACT,
  ]);
  const line = (label: string, xs: number[]): string =>
    `${label.padEnd(46)} median ${fmt(median(xs)).padStart(6)} ms  p90 ${fmt(percentile(xs, 90)).padStart(6)} ms  ` +
    `(${(median(xs) / median(createMs)).toFixed(2)}x createTask)`;
  console.log(
    `bench/provenance: ${SAMPLES} tasks (after ${WARMUP} warm-up), ${availableParallelism()} cores, load ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(line('createTask round trip (HTTP, Hawk)', createMs));
  console.log(line('provenance generation + Ed25519 signing', signMs));
  console.log(line('provenance write (sign, blob store, DB, audit)', writeMs));
  console.log(`provenance artifacts written: ${rowCount}`);
  const ok = median(signMs) < TARGET_MS;
  console.log(`target: generation + signing median < ${TARGET_MS} ms: ${ok ? 'met' : 'MISSED'}`);
} finally {
  await platform.stop();
  await rm(dataDir, { recursive: true, force: true });
}
