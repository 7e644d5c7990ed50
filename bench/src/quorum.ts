/**
 * bench/quorum: the end-to-end time of a task verified by a 3-replica quorum against a
 * single run of the same task, with three real workers (sandbox engine) idle in
 * claimWork.
 *
 * Starts `bulwark serve` as its own process and three workers in this one, each its
 * own identity with its own data directory. Tasks alternate, one at a time: the same
 * build (it writes a file and declares it as an artifact) as an ordinary task, and as
 * a task with `verification: {replicas: 3}`. The figure is the time from just before
 * createTask is sent until the task is resolved: for the single run, when its worker
 * has reported it; for the quorum, when every replica's worker has (the last report
 * decides the quorum in the same transaction). The ratio of the medians is printed.
 * Needs root (namespaces, cgroups) and bubblewrap.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import tc from 'taskcluster-client';
import {
  createWorkerQueue,
  destroyLeftovers,
  detectCgroupVersion,
  prepareDataDir,
  SandboxEngine,
  Worker,
  type WorkerConfig,
} from '@bulwark/worker';
import { startServerProcess } from './server-process.js';
import { percentile } from './stats.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 10);
const WARMUP = 2;
const QUEUE = 'bench/quorum';
const PREFIX = `bulwark-bquorum${process.pid}`;
const WORKERS = ['w1', 'w2', 'w3'];

type Fn = (...args: unknown[]) => Promise<Record<string, unknown>>;
interface Client {
  Queue: new (options: object) => Record<string, Fn>;
  Auth: new (options: object) => Record<string, Fn>;
  slugid(): string;
}
const taskcluster = tc as unknown as Client;

const BUILD = {
  command: ['/bin/sh', '-c', 'mkdir -p out; printf "binary 42\\n" > out/app.bin'],
  artifacts: [{ type: 'file', path: 'out/app.bin', name: 'public/app.bin' }],
};

async function main(): Promise<void> {
  const server = await startServerProcess();
  const scratch = await mkdtemp(join(tmpdir(), 'bulwark-bench-quorum-'));
  await chmod(scratch, 0o711);
  const cgroupVersion = await detectCgroupVersion();
  const workers: Worker[] = [];
  /** Per task, a callback run each time a worker has resolved one of its runs. */
  const onResolved = new Map<string, () => void>();
  try {
    const auth = new taskcluster.Auth({ rootUrl: server.rootUrl, credentials: server.root });
    for (const id of WORKERS) {
      const clientId = `worker/bench-${id}`;
      const { accessToken } = await auth.createClient!(clientId, {
        description: 'quorum bench worker',
        expires: new Date(Date.now() + 3600_000).toJSON(),
        scopes: [`queue:claim-work:${QUEUE}`, `queue:worker-id:bench/${id}`],
      });
      const dataDir = join(scratch, id);
      // As the worker makes it: the sandbox user's group may pass through (S11).
      await prepareDataDir(dataDir, 61000);
      const config: WorkerConfig = {
        rootUrl: server.rootUrl,
        taskQueueId: QUEUE,
        workerGroup: 'bench',
        workerId: id,
        capacity: 1,
        engine: 'sandbox',
        isolated: true,
        limits: {
          maxRunTime: 60,
          max: { memoryMB: 512, pids: 128, cpus: 1 },
          defaults: { memoryMB: 256, pids: 64, cpus: 1 },
          networkAllow: [],
        },
        dataDir,
        credentialsFile: '(in memory)',
        shutdownGraceSeconds: 5,
      };
      const engine = new SandboxEngine({
        cgroupVersion,
        prefix: `${PREFIX}${id}`,
        uid: 61000,
        gid: 61000,
      });
      const worker = new Worker(
        config,
        createWorkerQueue({
          rootUrl: server.rootUrl,
          credentials: { clientId, accessToken: accessToken as string },
          workerGroup: 'bench',
          workerId: id,
        }),
        engine,
        pino({ level: 'warn' }),
        (claim) => onResolved.get(claim.taskId)?.(),
      );
      workers.push(worker);
      worker.start();
    }
    const queue = new taskcluster.Queue({ rootUrl: server.rootUrl, credentials: server.root });

    /** Runs one task to its resolution; returns the milliseconds it took. */
    const runOne = async (verify: boolean): Promise<number> => {
      const taskId = taskcluster.slugid();
      let left = verify ? 3 : 1;
      const done = new Promise<void>((resolve) =>
        onResolved.set(taskId, () => {
          left -= 1;
          if (left === 0) resolve();
        }),
      );
      const sent = performance.now();
      await queue.createTask!(taskId, {
        taskQueueId: QUEUE,
        created: new Date().toJSON(),
        deadline: new Date(Date.now() + 600_000).toJSON(),
        payload: BUILD,
        metadata: {
          name: 'quorum bench',
          description: 'bench',
          owner: 'bench@example.com',
          source: 'https://example.com/',
        },
        ...(verify ? { verification: { replicas: 3 } } : {}),
      });
      await Promise.race([done, sleep(120_000).then(() => Promise.reject(new Error('timeout')))]);
      const took = performance.now() - sent;
      const { status } = (await queue.status!(taskId)) as { status: { state: string } };
      if (status.state !== 'completed') throw new Error(`task ${taskId} is ${status.state}`);
      // Let every worker go back to waiting in claimWork.
      await sleep(300);
      return took;
    };

    const single: number[] = [];
    const quorum: number[] = [];
    for (let i = 0; i < SAMPLES + WARMUP; i++) {
      const s = await runOne(false);
      const q = await runOne(true);
      if (i < WARMUP) continue;
      single.push(s);
      quorum.push(q);
    }
    const s = percentile(single, 50);
    const q = percentile(quorum, 50);
    console.log(
      `${SAMPLES} tasks of each kind, alternating, one at a time; three idle workers (sandbox engine)`,
    );
    console.log(
      `baseline  single run, createTask -> resolved:           median ${s.toFixed(1)} ms, p90 ${percentile(single, 90).toFixed(1)} ms`,
    );
    console.log(
      `measured  3-replica quorum, createTask -> decided:      median ${q.toFixed(1)} ms, p90 ${percentile(quorum, 90).toFixed(1)} ms`,
    );
    console.log(`ratio     ${(q / s).toFixed(2)}x the single run`);
  } finally {
    await Promise.all(workers.map((w) => w.stop(0)));
    await server.stop();
    for (const id of WORKERS) {
      await destroyLeftovers({ prefix: `${PREFIX}${id}`, cgroupVersion, taskDirParents: [] });
    }
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
