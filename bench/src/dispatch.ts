/**
 * bench/dispatch: how long from createTask to the task's first instruction in the
 * sandbox, with an idle worker already waiting in claimWork.
 *
 * Starts `bulwark serve` as its own process and a real worker (sandbox engine) in this
 * one, then creates tasks one at a time whose command is `date +%s%N`: the first thing
 * the task does is read the clock. The figure is that clock reading minus the time
 * just before createTask was sent (same machine, same clock). The baseline, measured
 * on the same requests, is createTask's own round trip. Target: median under 50 ms.
 * The worker's debug log ('task handed to the sandbox', timed here with the same
 * clock) splits the figure into the queue's part, the worker's, the engine's and the
 * launcher chain's (setpriv, bubblewrap, the command's exec).
 * Needs root (namespaces, cgroups) and bubblewrap.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import tc from 'taskcluster-client';
import {
  createWorkerQueue,
  destroyLeftovers,
  detectCgroupVersion,
  SandboxEngine,
  TaskDisks,
  Worker,
  type Executor,
  type WorkerConfig,
} from '@bulwark/worker';
import { startServerProcess } from './server-process.js';
import { percentile } from './stats.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
/**
 * BENCH_COMPARE_FRESH=1: every other task starts without a start prepared ahead (its
 * cgroup made and entered when it arrives, as before prepared starts), in the same run.
 */
const COMPARE = process.env.BENCH_COMPARE_FRESH === '1';
const QUEUE = 'bench/dispatch';
const PREFIX = `bulwark-bdisp${process.pid}`;

type Fn = (...args: unknown[]) => Promise<Record<string, unknown>>;
interface Client {
  Queue: new (options: object) => Record<string, Fn> & {
    buildSignedUrl(method: Fn, ...args: unknown[]): string;
  };
  Auth: new (options: object) => Record<string, Fn>;
  slugid(): string;
}
const taskcluster = tc as unknown as Client;

/** Wall-clock time in milliseconds with the precision of the monotonic clock. */
const nowMs = (): number => performance.timeOrigin + performance.now();

/** What the worker logs when it hands a task's first command to the sandbox. */
interface StartLog {
  time: number;
  preparedStart: boolean;
  workerMs: number;
  engineMs: number;
}

/** The worker's logger: warnings to stderr, its start timings (debug) kept by task. */
function workerLogger(starts: Map<string, StartLog>): pino.Logger {
  const sink = new Writable({
    write(line: Buffer, _encoding, done) {
      const entry = JSON.parse(line.toString()) as StartLog & {
        level: number;
        msg: string;
        taskId?: string;
      };
      if (entry.msg === 'task handed to the sandbox' && entry.taskId) {
        starts.set(entry.taskId, entry);
      } else if (entry.level >= 40) {
        process.stderr.write(line);
      }
      done();
    },
  });
  // Timestamps from the same clock as the bench's, to the microsecond.
  return pino({ level: 'debug', timestamp: () => `,"time":${nowMs().toFixed(3)}` }, sink);
}

const median = (samples: readonly number[]): string => percentile(samples, 50).toFixed(1);

async function main(): Promise<void> {
  const server = await startServerProcess();
  const scratch = await mkdtemp(join(tmpdir(), 'bulwark-bench-dispatch-'));
  await chmod(scratch, 0o711);
  const cgroupVersion = await detectCgroupVersion();
  let worker: Worker | undefined;
  let disk: TaskDisks | undefined;
  try {
    // Task directories on a task disk with a quota each (S19), as a worker's are.
    disk = await TaskDisks.open({
      image: join(scratch, 'disk', 'tasks.img'),
      mountPoint: join(scratch, 'runs'),
      sizeMB: 1024,
      expectedDiskMB: 64,
      passGroup: 61000,
    });
    const auth = new taskcluster.Auth({ rootUrl: server.rootUrl, credentials: server.root });
    const { accessToken } = await auth.createClient!('worker/bench', {
      description: 'dispatch bench worker',
      expires: new Date(Date.now() + 3600_000).toJSON(),
      scopes: [`queue:claim-work:${QUEUE}`, 'queue:worker-id:bench/w1'],
    });
    const config: WorkerConfig = {
      rootUrl: server.rootUrl,
      taskQueueId: QUEUE,
      workerGroup: 'bench',
      workerId: 'w1',
      capacity: 1,
      engine: 'sandbox',
      isolated: true,
      limits: {
        maxRunTime: 60,
        max: { memoryMB: 512, pids: 128, cpus: 1, diskMB: 256 },
        defaults: { memoryMB: 256, pids: 64, cpus: 1, diskMB: 64 },
        networkAllow: [],
      },
      dataDir: scratch,
      credentialsFile: '(in memory)',
      shutdownGraceSeconds: 5,
    };
    const resolved = new Map<string, () => void>();
    const starts = new Map<string, StartLog>();
    const engine = new SandboxEngine({
      cgroupVersion,
      prefix: PREFIX,
      uid: 61000,
      gid: 61000,
      disk,
    });
    // The worker asks for the next start right after a task ends: the loop below sets
    // whether it gets one before the task that precedes it ends.
    let prepareNext = true;
    const executor: Executor = {
      name: engine.name,
      run: (request) => engine.run(request),
      prepare: (limits) => (prepareNext ? engine.prepare(limits) : Promise.resolve()),
      close: () => engine.close(),
    };
    worker = new Worker(
      config,
      createWorkerQueue({
        rootUrl: server.rootUrl,
        credentials: { clientId: 'worker/bench', accessToken: accessToken as string },
        workerGroup: 'bench',
        workerId: 'w1',
      }),
      executor,
      workerLogger(starts),
      (claim) => resolved.get(claim.taskId)?.(),
    );
    worker.start();
    const queue = new taskcluster.Queue({ rootUrl: server.rootUrl, credentials: server.root });

    const dispatch: number[] = [];
    const create: number[] = [];
    /** Of the dispatch: until the queue recorded the claim, then the worker and sandbox. */
    const claimed: number[] = [];
    const started: number[] = [];
    /** Of the dispatch: until the worker has the claim, its steps, the engine's, the launcher chain's. */
    const parts = { queue: [] as number[], worker: [] as number[], engine: [] as number[] };
    const launcher: number[] = [];
    const fresh: number[] = [];
    for (let i = 0; i < SAMPLES + 5; i++) {
      // Let the worker finish and go back to waiting in claimWork.
      await sleep(300);
      // Task i + 1's start is prepared, or not, when task i ends.
      prepareNext = !COMPARE || (i + 1) % 2 === 0;
      const taskId = taskcluster.slugid();
      const done = new Promise<void>((r) => resolved.set(taskId, r));
      const sent = nowMs();
      await queue.createTask!(taskId, {
        taskQueueId: QUEUE,
        created: new Date().toJSON(),
        deadline: new Date(Date.now() + 600_000).toJSON(),
        payload: { command: ['/usr/bin/date', '+%s%N'] },
        metadata: {
          name: 'dispatch',
          description: 'bench',
          owner: 'bench@example.com',
          source: 'https://example.com/',
        },
      });
      const created = nowMs() - sent;
      await Promise.race([done, sleep(60_000).then(() => Promise.reject(new Error('timeout')))]);
      const url = queue.buildSignedUrl(queue.getArtifact!, taskId, 0, 'public/logs/live.log');
      const log = await (await fetch(url)).text();
      const clock = /^(\d{19})$/m.exec(log)?.[1];
      if (!clock) throw new Error(`no clock reading in the task's log: ${log.slice(0, 200)}`);
      // The first samples warm the server, the worker and the page cache.
      if (i < 5) continue;
      const firstInstruction = Number(BigInt(clock) / 1000n) / 1000;
      const { status } = (await queue.status!(taskId)) as {
        status: { runs: { started: string }[] };
      };
      const claimedAt = Date.parse(status.runs[0]?.started ?? '');
      const start = starts.get(taskId);
      if (!start) throw new Error(`the worker logged no start for ${taskId}`);
      create.push(created);
      if (!start.preparedStart) {
        fresh.push(firstInstruction - sent);
        continue;
      }
      const inHand = start.time - start.engineMs - start.workerMs;
      parts.queue.push(inHand - sent);
      parts.worker.push(start.workerMs);
      parts.engine.push(start.engineMs);
      launcher.push(firstInstruction - start.time);
      dispatch.push(firstInstruction - sent);
      claimed.push(claimedAt - sent);
      started.push(firstInstruction - claimedAt);
    }
    const d = percentile(dispatch, 50);
    const c = percentile(create, 50);
    console.log(
      `${SAMPLES} tasks, one at a time, an idle worker (sandbox engine) waiting; ` +
        `${dispatch.length} started as prepared ahead, ${fresh.length} fresh`,
    );
    console.log(
      `baseline  createTask round trip:                       median ${c.toFixed(1)} ms, p90 ${percentile(create, 90).toFixed(1)} ms`,
    );
    console.log(
      `measured  createTask sent -> first instruction in sandbox: median ${d.toFixed(1)} ms, p90 ${percentile(dispatch, 90).toFixed(1)} ms`,
    );
    console.log(
      `of which  until the queue claimed it for the worker: median ${percentile(claimed, 50).toFixed(1)} ms; ` +
        `claim -> first instruction (worker, sandbox): median ${percentile(started, 50).toFixed(1)} ms (ms-resolution clock)`,
    );
    console.log(
      `split     until the worker has the claim ${median(parts.queue)} ms, the worker's steps ` +
        `${median(parts.worker)} ms, the engine's ${median(parts.engine)} ms, the launcher chain ` +
        `to the first instruction ${median(launcher)} ms (medians)`,
    );
    if (fresh.length > 0) {
      console.log(
        `fresh     createTask sent -> first instruction, no start prepared ahead: median ` +
          `${median(fresh)} ms, p90 ${percentile(fresh, 90).toFixed(1)} ms`,
      );
    }
    console.log(
      `ratio     ${(d / c).toFixed(2)}x createTask; target median < 50 ms: ${d < 50 ? 'MET' : 'NOT MET'}`,
    );
  } finally {
    await worker?.stop(0);
    await disk?.close();
    await server.stop();
    await destroyLeftovers({ prefix: PREFIX, cgroupVersion, taskDirParents: [] });
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
