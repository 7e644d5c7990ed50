/**
 * bench/queue: queue throughput and dispatch latency.
 *
 * Starts `bulwark serve` as its own process (embedded PostgreSQL, fresh data dir) and
 * drives it with the published taskcluster-client over HTTP with Hawk, no keep-alive.
 *
 * 1. Lifecycle throughput: rounds of 1000 tasks, each created (8 producers), claimed
 *    (4 claimers, claimWork up to 32 tasks per call) and reported completed with its
 *    run's credentials. Baseline, interleaved in the same run on the same PostgreSQL
 *    server: a raw-SQL floor of 8 clients doing the same lifecycle as three durable
 *    transactions on a scratch table. Reference: Taskcluster's own queue did about
 *    40 tasks/s on a 2-core machine; target at least 20x that, 800 lifecycles/s.
 *    Also printed, to say where the time goes: CPU time per lifecycle of the server
 *    and of its PostgreSQL, what the database backends wait on, and how much of the
 *    time the audit log's lock is held.
 * 2. Dispatch latency: with claimers waiting in claimWork on an empty queue, the time
 *    from just before createTask is sent to claimWork returning that task, next to an
 *    unauthenticated ping, a Hawk-authenticated no-op and createTask alone, measured
 *    interleaved. Target: median < 20 ms.
 *
 * Misses are printed, not failed: this is a measurement. Loopback only; bounded by
 * BENCH_TIMEOUT_S (default 300 s); the server and its data are removed at the end.
 */
import { availableParallelism, loadavg } from 'node:os';
import { startServerProcess, type ServerProcess } from './server-process.js';
import {
  CLAIM_BATCH,
  CLAIMERS,
  dispatchLatency,
  lifecycleRound,
  PRODUCERS,
  within,
  type DispatchResult,
  type RoundResult,
  type Target,
} from './queue-client.js';
import {
  auditLockHeld,
  createFloorTable,
  dropFloorTable,
  FLOOR_APPLICATION,
  formatProfile,
  mergeProfiles,
  openServerCluster,
  rawFloor,
  sampleWaits,
  SERVER_APPLICATION,
  type ServerCluster,
  type WaitProfile,
} from './queue-database.js';
import { fmt, median, percentile } from './stats.js';

const LIFECYCLES = Number(process.env.BENCH_LIFECYCLES ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = 100;
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const FLOOR_CLIENTS = 8;
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 300) * 1000;
/** From the issue: Taskcluster's queue on this kind of 2-core machine, tasks/s. */
const TASKCLUSTER_TASKS_PER_SECOND = 40;
const TARGET_FACTOR = 20;
const DISPATCH_TARGET_MS = 20;
/** Often enough for a few hundred samples per round, rarely enough to cost ~1% of a core. */
const WAIT_SAMPLE_MS = 10;

interface Probed<T> {
  result: T;
  seconds: number;
  /** CPU time over the work, µs: the server's Node process, its PostgreSQL, this process. */
  serverCpu: number;
  databaseCpu: number;
  generatorCpu: number;
  waits: WaitProfile;
}

/** Runs `work` while counting CPU time and sampling what the database backends wait on. */
async function probed<T>(
  server: ServerProcess,
  cluster: ServerCluster,
  application: string,
  work: () => Promise<T>,
): Promise<Probed<T>> {
  const sampler = sampleWaits(cluster.pool, application, WAIT_SAMPLE_MS);
  const [serverBefore, databaseBefore] = await Promise.all([
    server.cpuMicros(),
    cluster.cpuMicros(),
  ]);
  const generatorBefore = process.cpuUsage();
  const began = performance.now();
  try {
    const result = await work();
    const seconds = (performance.now() - began) / 1000;
    const generator = process.cpuUsage(generatorBefore);
    const [serverAfter, databaseAfter] = await Promise.all([
      server.cpuMicros(),
      cluster.cpuMicros(),
    ]);
    return {
      result,
      seconds,
      serverCpu: serverAfter - serverBefore,
      databaseCpu: databaseAfter - databaseBefore,
      generatorCpu: generator.user + generator.system,
      waits: await sampler.stop(),
    };
  } catch (err) {
    await sampler.stop().catch(() => undefined);
    throw err;
  }
}

const ms = (n: number): string => `${n.toFixed(1)} ms`;
const spread = (xs: number[]): string =>
  `median ${ms(median(xs))}, p90 ${ms(percentile(xs, 90))}, p99 ${ms(percentile(xs, 99))}`;

async function throughput(
  server: ServerProcess,
  cluster: ServerCluster,
  target: Target,
  lingering: Promise<unknown>[],
): Promise<void> {
  const bulwarkRound = (queueId: string, count: number): Promise<Probed<RoundResult>> =>
    probed(server, cluster, SERVER_APPLICATION, () =>
      lifecycleRound(target, queueId, count, lingering),
    );
  const floorRound = (count: number): Promise<Probed<number>> =>
    probed(server, cluster, FLOOR_APPLICATION, () =>
      rawFloor(cluster.pool, {
        lifecycles: count,
        clients: FLOOR_CLIENTS,
        deadline: target.deadline,
      }),
    );
  await createFloorTable(cluster.pool);
  try {
    // JIT, connection pools and caches warm on both sides before anything counts.
    await bulwarkRound('bench/queue-warmup', WARMUP);
    await floorRound(WARMUP);
    console.log(
      `lifecycle throughput: ${ROUNDS} interleaved rounds of ${LIFECYCLES} tasks after a ${WARMUP}-task warm-up; ` +
        `${PRODUCERS} producers (createTask), ${CLAIMERS} claimers (claimWork up to ${CLAIM_BATCH} tasks, ` +
        `then reportCompleted with each run's credentials); taskcluster-client, Hawk, no keep-alive`,
    );
    const bulwark: Probed<RoundResult>[] = [];
    const floor: Probed<number>[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const b = await bulwarkRound(`bench/queue-${round}`, LIFECYCLES);
      const f = await floorRound(LIFECYCLES);
      bulwark.push(b);
      floor.push(f);
      console.log(
        `  round ${round}: Bulwark ${fmt(LIFECYCLES / b.seconds)} lifecycles/s ` +
          `(${b.result.claimCalls} claimWork calls returned tasks, ${(b.result.claimed / b.result.claimCalls).toFixed(1)} each on average) | ` +
          `floor ${fmt(f.result)} lifecycles/s`,
      );
    }
    const rate = median(bulwark.map((b) => LIFECYCLES / b.seconds));
    const floorRate = median(floor.map((f) => f.result));
    const targetRate = TASKCLUSTER_TASKS_PER_SECOND * TARGET_FACTOR;
    console.log(`baseline  raw-SQL floor on ${cluster.description}`);
    console.log(
      `          ${FLOOR_CLIENTS} clients, per lifecycle INSERT pending; SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1 + ` +
        `UPDATE running; UPDATE completed (3 durable commits): ${fmt(floorRate)} lifecycles/s (median)`,
    );
    console.log(
      `measured  Bulwark, create -> claimWork -> reportCompleted over HTTP: ${fmt(rate)} lifecycles/s (median)`,
    );
    console.log(
      `reference Taskcluster's own queue on a 2-core machine (from the issue): about ${TASKCLUSTER_TASKS_PER_SECOND} tasks/s; ` +
        `target ${TARGET_FACTOR}x that, ${targetRate} lifecycles/s`,
    );
    console.log(
      `ratio     Bulwark/floor ${(rate / floorRate).toFixed(3)}; Bulwark/Taskcluster ${(rate / TASKCLUSTER_TASKS_PER_SECOND).toFixed(1)}x; ` +
        `target ${targetRate}/s ${rate >= targetRate ? 'MET' : 'NOT MET'}`,
    );
    const perLifecycle = (rounds: Probed<unknown>[], cpu: (p: Probed<unknown>) => number): string =>
      fmt(median(rounds.map(cpu)) / LIFECYCLES);
    const busy = median(bulwark.map((b) => (b.serverCpu + b.databaseCpu) / (b.seconds * 1e6)));
    const generator = median(bulwark.map((b) => b.generatorCpu / (b.seconds * 1e6)));
    console.log(
      `cost      per Bulwark lifecycle: server process CPU ${perLifecycle(bulwark, (b) => b.serverCpu)} µs, ` +
        `PostgreSQL CPU ${perLifecycle(bulwark, (b) => b.databaseCpu)} µs ` +
        `(floor: ${perLifecycle(floor, (f) => f.databaseCpu)} µs); ` +
        `server and PostgreSQL together busy ${(busy * 100).toFixed(0)}% of ${server.pinnedToCore ? 'their one core' : 'one core'}; ` +
        `load generator ${(generator * 100).toFixed(0)}% of a core`,
    );
    // What bounds the figure on this machine: every CPU-second goes to the server, its
    // PostgreSQL or the load generator (the published client, one connection per call),
    // so each side's CPU per lifecycle gives the rate it alone would allow on all cores.
    const cores = availableParallelism();
    const perLifecycleUs = (cpu: (p: Probed<RoundResult>) => number): number =>
      median(bulwark.map(cpu)) / LIFECYCLES;
    const generatorUs = perLifecycleUs((b) => b.generatorCpu);
    const platformUs = perLifecycleUs((b) => b.serverCpu + b.databaseCpu);
    console.log(
      `ceilings  on ${cores} cores: the load generator alone (${fmt(generatorUs)} µs CPU per lifecycle) caps at ` +
        `${fmt((cores * 1e6) / generatorUs)} lifecycles/s; the server with its PostgreSQL alone ` +
        `(${fmt(platformUs)} µs) at ${fmt((cores * 1e6) / platformUs)}/s; sharing the cores, at most ` +
        `${fmt((cores * 1e6) / (generatorUs + platformUs))}/s`,
    );
    const floorDatabaseUs = median(floor.map((f) => f.databaseCpu)) / LIFECYCLES;
    console.log(
      `          even a queue costing no more than the raw-SQL floor's PostgreSQL CPU ` +
        `(${fmt(floorDatabaseUs)} µs) and nothing in Node would stop at ` +
        `${fmt((cores * 1e6) / (generatorUs + floorDatabaseUs))}/s beside this load generator`,
    );
    // Each lifecycle takes the audit lock in createTask and in reportCompleted, and
    // once per claimWork batch; claim attempts that find nothing do not take it.
    const holds = median(bulwark.map((b) => 2 + b.result.claimCalls / LIFECYCLES));
    const holdMs = median(
      bulwark.map(
        (b) => (auditLockHeld(b.waits) * b.seconds * 1000) / (LIFECYCLES * 2 + b.result.claimCalls),
      ),
    );
    console.log(
      `audit     ${holds.toFixed(2)} audited transactions per lifecycle (createTask, reportCompleted, one per claim batch), ` +
        `each holding the audit log's lock ${holdMs.toFixed(1)} ms on average: at most ${fmt(1000 / (holds * holdMs))} lifecycles/s while that holds`,
    );
    console.log(
      `waits     server's backends (average count): ${formatProfile(mergeProfiles(bulwark.map((b) => b.waits)))}`,
    );
    console.log(
      `          floor's backends (average count):  ${formatProfile(mergeProfiles(floor.map((f) => f.waits)))}`,
    );
  } finally {
    await dropFloorTable(cluster.pool).catch(() => undefined);
  }
}

function printDispatch(result: DispatchResult): void {
  const dispatch = median(result.dispatch);
  console.log(
    `dispatch latency: ${result.dispatch.length} samples, ${CLAIMERS} claimers waiting in claimWork on an empty queue, ` +
      `one task created at a time, calls 20-50 ms apart, each on a new connection`,
  );
  console.log(
    `reference GET /api/queue/v1/ping (no authentication):         ${spread(result.ping)}`,
  );
  console.log(
    `baseline  GET /api/auth/v1/scopes/current (Hawk, no-op):       ${spread(result.authenticated)}`,
  );
  console.log(
    `baseline  createTask alone (nobody waiting on its queue):     ${spread(result.createAlone)}`,
  );
  console.log(
    `measured  createTask sent -> waiting claimWork returns it:    ${spread(result.dispatch)} ` +
      `(target median < ${DISPATCH_TARGET_MS} ms: ${dispatch < DISPATCH_TARGET_MS ? 'MET' : 'NOT MET'})`,
  );
  console.log(
    `ratio     dispatch/createTask alone ${(dispatch / median(result.createAlone)).toFixed(2)}, ` +
      `dispatch/authenticated no-op ${(dispatch / median(result.authenticated)).toFixed(2)}; ` +
      `claimWork returned the task before createTask's own response in ${result.claimedFirst} of ${result.dispatch.length}`,
  );
}

async function main(): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  const server = await startServerProcess();
  // claimWork calls left waiting on emptied queues; they end when the server stops.
  const lingering: Promise<unknown>[] = [];
  try {
    const host = new URL(server.rootUrl).hostname;
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) throw new Error('loopback only');
    const target: Target = { rootUrl: server.rootUrl, root: server.root, deadline };
    const run = async (): Promise<void> => {
      const cluster = await openServerCluster(server.dataDir, FLOOR_CLIENTS);
      try {
        // Other work on the machine moves every figure; say how busy it was.
        console.log(
          `${availableParallelism()} CPUs, load average ${loadavg()[0]!.toFixed(2)} at start; ` +
            `server pinned to one core: ${server.pinnedToCore ? 'yes (taskset -c 0; its PostgreSQL inherits the pin)' : 'no (BENCH_PIN_SERVER=0, or no taskset)'}; ` +
            `load generator unpinned`,
        );
        await throughput(server, cluster, target, lingering);
        printDispatch(await dispatchLatency(target, SAMPLES, lingering));
      } finally {
        await cluster.close();
      }
    };
    await within(run(), deadline - Date.now(), 'bench/queue');
  } finally {
    await server.stop();
    // Stopping the server answered every waiting claimWork call.
    await within(Promise.allSettled(lingering), 10_000, 'waiting claimWork calls').catch(
      () => undefined,
    );
  }
}

await main();
