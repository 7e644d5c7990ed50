/**
 * bench/queue's client side: the published taskcluster-client driving whole task
 * lifecycles (producers, claimers, reports with run credentials), and the probe that
 * times a task from createTask to the claimWork call waiting for it. Every call is
 * Hawk-signed and goes over a new connection (the client's agent does not keep alive).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import tc from 'taskcluster-client';

export interface Credentials {
  clientId: string;
  accessToken: string;
  certificate?: string;
}
interface Claim {
  status: { taskId: string };
  runId: number;
  credentials: Credentials;
}
interface ClientOptions {
  rootUrl: string;
  credentials: Credentials;
  retries: number;
}
interface QueueClient {
  ping(): Promise<unknown>;
  createTask(taskId: string, definition: object): Promise<unknown>;
  claimWork(
    taskQueueId: string,
    request: { workerGroup: string; workerId: string; tasks: number },
  ): Promise<{ tasks: Claim[] }>;
  reportCompleted(taskId: string, runId: string): Promise<unknown>;
}
interface Client {
  Queue: new (options: ClientOptions) => QueueClient;
  Auth: new (options: ClientOptions) => { currentScopes(): Promise<unknown> };
  slugid(): string;
}
const taskcluster = tc as unknown as Client;

export interface Target {
  rootUrl: string;
  root: Credentials;
  /** Date.now() after which nothing new is started. */
  deadline: number;
}

export const PRODUCERS = 8;
export const CLAIMERS = 4;
/** The most claimWork hands out per call (MAX_TASKS_PER_CLAIM). */
export const CLAIM_BATCH = 32;
/**
 * Reports in flight per claimer. With the producers, claimers and claimWork calls
 * left waiting by earlier rounds, this stays under the client agent's 50 sockets,
 * so no request waits inside the load generator for a socket.
 */
const REPORTS_PER_CLAIMER = 4;
const WORKER_GROUP = 'bench';
const DISPATCH_QUEUE = 'bench/queue-dispatch';
/** createTask alone: a queue nobody claims from, so no claim follows the create. */
const IDLE_QUEUE = 'bench/queue-idle';

// Failures must surface as failures, not as retried (and slower) successes.
const queueFor = (rootUrl: string, credentials: Credentials): QueueClient =>
  new taskcluster.Queue({ rootUrl, credentials, retries: 0 });

function taskDefinition(taskQueueId: string): object {
  const now = Date.now();
  return {
    taskQueueId,
    created: new Date(now).toJSON(),
    deadline: new Date(now + 3600_000).toJSON(),
    payload: {},
    metadata: {
      name: 'bench',
      description: 'queue bench',
      owner: 'bench@example.com',
      source: 'https://example.com',
    },
  };
}

/** Settles like `promise`, or rejects after `ms`; a late rejection is then ignored. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** What a worker does with a claim once its task has run. */
async function reportCompleted(rootUrl: string, claim: Claim): Promise<void> {
  await queueFor(rootUrl, claim.credentials).reportCompleted(
    claim.status.taskId,
    String(claim.runId),
  );
}

export interface RoundResult {
  seconds: number;
  /** claimWork calls that returned tasks, and how many they returned in all. */
  claimCalls: number;
  claimed: number;
}

/**
 * `total` whole lifecycles on a task queue of their own: PRODUCERS create tasks while
 * CLAIMERS claim them (up to CLAIM_BATCH per call) and report each completed with its
 * run's credentials. The round ends when the last report is answered. Claimers then
 * still waiting in claimWork on the empty queue are not waited for: their promises
 * go to `lingering`, and they return when claimWork times out or the server stops.
 */
export async function lifecycleRound(
  target: Target,
  taskQueueId: string,
  total: number,
  lingering: Promise<unknown>[],
): Promise<RoundResult> {
  const queue = queueFor(target.rootUrl, target.root);
  let created = 0;
  let claimed = 0;
  let completed = 0;
  let claimCalls = 0;
  let finish = (): void => undefined;
  let fail: (err: unknown) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const inTime = (): void => {
    if (Date.now() > target.deadline) throw new Error(`${taskQueueId} ran out of time`);
  };
  const producer = async (): Promise<void> => {
    while (created < total) {
      inTime();
      created++;
      await queue.createTask(taskcluster.slugid(), taskDefinition(taskQueueId));
    }
  };
  const claimer = async (index: number): Promise<void> => {
    const workerId = `claimer-${index}`;
    while (claimed < total) {
      inTime();
      const { tasks } = await queue.claimWork(taskQueueId, {
        workerGroup: WORKER_GROUP,
        workerId,
        tasks: CLAIM_BATCH,
      });
      if (tasks.length === 0) continue;
      claimed += tasks.length;
      claimCalls++;
      await eachLimited(tasks, REPORTS_PER_CLAIMER, async (claim) => {
        await reportCompleted(target.rootUrl, claim);
        if (++completed === total) finish();
      });
    }
  };
  const began = performance.now();
  const producers = Promise.all(Array.from({ length: PRODUCERS }, producer)).catch(fail);
  for (let i = 0; i < CLAIMERS; i++) lingering.push(claimer(i).catch(fail));
  await done;
  const seconds = (performance.now() - began) / 1000;
  await producers;
  if (claimed !== total) throw new Error(`${claimed} claims for ${total} tasks`);
  return { seconds, claimCalls, claimed };
}

export interface DispatchResult {
  /** Milliseconds per call. */
  ping: number[];
  authenticated: number[];
  createAlone: number[];
  /** From just before createTask is sent to the waiting claimWork call returning the task. */
  dispatch: number[];
  /** Samples in which claimWork returned the task before createTask's own response arrived. */
  claimedFirst: number;
}

/**
 * CLAIMERS wait in claimWork on an empty queue while tasks are created one at a time;
 * each sample is interleaved with the baselines (an unauthenticated ping, a
 * Hawk-authenticated no-op and a createTask nobody waits for), all spaced 20–50 ms
 * apart once every claimer is back in claimWork, so each call meets an idle server.
 */
export async function dispatchLatency(
  target: Target,
  samples: number,
  lingering: Promise<unknown>[],
): Promise<DispatchResult> {
  const queue = queueFor(target.rootUrl, target.root);
  const auth = new taskcluster.Auth({
    rootUrl: target.rootUrl,
    credentials: target.root,
    retries: 0,
  });
  const arrivals = new Map<string, (at: number) => void>();
  const claims: Claim[] = [];
  let waiting = 0;
  let stopping = false;
  let claimerError: Error | undefined;
  const claimer = async (index: number): Promise<void> => {
    while (!stopping) {
      waiting++;
      let tasks: Claim[];
      try {
        ({ tasks } = await queue.claimWork(DISPATCH_QUEUE, {
          workerGroup: WORKER_GROUP,
          workerId: `waiter-${index}`,
          tasks: CLAIM_BATCH,
        }));
      } finally {
        waiting--;
      }
      const at = performance.now();
      for (const claim of tasks) {
        claims.push(claim);
        arrivals.get(claim.status.taskId)?.(at);
      }
    }
  };
  for (let i = 0; i < CLAIMERS; i++) {
    lingering.push(
      claimer(i).catch((err: unknown) => {
        if (!stopping) claimerError = err instanceof Error ? err : new Error(String(err));
      }),
    );
  }
  const settle = async (): Promise<void> => {
    for (let waited = 0; waiting < CLAIMERS; waited++) {
      if (claimerError !== undefined) throw claimerError;
      if (waited > 5000) throw new Error('the claimers did not return to claimWork within 5 s');
      await sleep(1);
    }
    await sleep(20 + Math.random() * 30);
  };
  const time = async (call: () => Promise<unknown>): Promise<number> => {
    await settle();
    const began = performance.now();
    await call();
    return performance.now() - began;
  };
  const result: DispatchResult = {
    ping: [],
    authenticated: [],
    createAlone: [],
    dispatch: [],
    claimedFirst: 0,
  };
  try {
    // Long enough for every first claimWork call to find the queue empty and wait.
    await sleep(500);
    for (let i = 0; i < samples; i++) {
      if (Date.now() > target.deadline) throw new Error('dispatch latency ran out of time');
      result.ping.push(await time(() => queue.ping()));
      result.authenticated.push(await time(() => auth.currentScopes()));
      result.createAlone.push(
        await time(() => queue.createTask(taskcluster.slugid(), taskDefinition(IDLE_QUEUE))),
      );
      await settle();
      const taskId = taskcluster.slugid();
      const arrived = new Promise<number>((resolve) => arrivals.set(taskId, resolve));
      const began = performance.now();
      await queue.createTask(taskId, taskDefinition(DISPATCH_QUEUE));
      const createReturned = performance.now();
      const at = await within(arrived, 5000, `the claim of task ${taskId}`);
      arrivals.delete(taskId);
      if (at < createReturned) result.claimedFirst++;
      result.dispatch.push(at - began);
    }
  } finally {
    stopping = true;
  }
  // Every dispatched run resolved, as its worker would, with the run's own credentials.
  await eachLimited(claims, CLAIMERS, (claim) => reportCompleted(target.rootUrl, claim));
  if (claims.length !== samples) throw new Error(`${claims.length} claims for ${samples} tasks`);
  return result;
}
