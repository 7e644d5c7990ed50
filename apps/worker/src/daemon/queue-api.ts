import hawk from 'hawk';
import taskcluster from 'taskcluster-client';
import type { RunCredentials } from '../proxy/run-credentials.js';

/** One claimed run, as claimWork and reclaimTask describe it. */
export interface Claim {
  taskId: string;
  runId: number;
  takenUntil: Date;
  credentials: RunCredentials;
  /** performance.now() when the worker had the claim in hand, for its timing logs. */
  receivedAt?: number;
  task: {
    taskQueueId: string;
    deadline: string;
    expires: string;
    scopes: string[];
    payload: unknown;
  };
}

export type ExceptionReason =
  | 'worker-shutdown'
  | 'malformed-payload'
  | 'resource-unavailable'
  | 'internal-error'
  | 'intermittent-task';

/** An API error as taskcluster-client reports it. */
export interface ApiFailure {
  statusCode?: number;
  code?: string;
  message?: string;
}

export function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null ? (err as ApiFailure).statusCode : undefined;
}

/** The part of the queue a worker uses, over the published client. */
export interface WorkerQueue {
  /** Aborting the long poll disconnects it, and the queue then claims nothing for it. */
  claimWork(taskQueueId: string, count: number, signal?: AbortSignal): Promise<Claim[]>;
  /** Uses the run's own credentials, as the queue requires. */
  reclaimTask(claim: Claim): Promise<{ takenUntil: Date; credentials: RunCredentials }>;
  reportCompleted(claim: Claim): Promise<void>;
  reportFailed(claim: Claim): Promise<void>;
  reportException(claim: Claim, reason: ExceptionReason): Promise<void>;
}

interface RawClaim {
  status: { taskId: string };
  runId: number;
  takenUntil: string;
  credentials: RunCredentials;
  task: Claim['task'];
}

type Method = (...args: unknown[]) => Promise<Record<string, unknown>>;
type QueueClient = Record<string, Method>;

export function createWorkerQueue(options: {
  rootUrl: string;
  credentials: { clientId: string; accessToken: string };
  workerGroup: string;
  workerId: string;
}): WorkerQueue {
  const Queue = (taskcluster as unknown as { Queue: new (o: unknown) => QueueClient }).Queue;
  // Run-scoped calls are signed with the run's credentials: the worker's own carry
  // no resolve or reclaim scopes at all (S5).
  const asRun = (claim: Claim): QueueClient =>
    new Queue({ rootUrl: options.rootUrl, credentials: claim.credentials, retries: 2 });
  const call = (client: QueueClient, name: string, ...args: unknown[]) =>
    (client[name] as Method)(...args);
  return {
    async claimWork(taskQueueId, count, signal) {
      // Signed here rather than through the client, which cannot abort a request.
      const url = `${options.rootUrl}/api/queue/v1/claim-work/${encodeURIComponent(taskQueueId)}`;
      const body = JSON.stringify({
        workerGroup: options.workerGroup,
        workerId: options.workerId,
        tasks: count,
      });
      const { header } = hawk.client.header(url, 'POST', {
        credentials: {
          id: options.credentials.clientId,
          key: options.credentials.accessToken,
          algorithm: 'sha256',
        },
      });
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: header, 'content-type': 'application/json' },
        body,
        ...(signal ? { signal } : {}),
      });
      const result = (await response.json()) as {
        tasks?: RawClaim[];
        code?: string;
        message?: string;
      };
      if (!response.ok) {
        throw Object.assign(new Error(result.message ?? `claimWork answered ${response.status}`), {
          statusCode: response.status,
          code: result.code,
        });
      }
      const receivedAt = performance.now();
      return (result.tasks ?? []).map((raw) => ({
        taskId: raw.status.taskId,
        runId: raw.runId,
        takenUntil: new Date(raw.takenUntil),
        credentials: raw.credentials,
        receivedAt,
        task: raw.task,
      }));
    },
    async reclaimTask(claim) {
      const result = await call(asRun(claim), 'reclaimTask', claim.taskId, claim.runId);
      return {
        takenUntil: new Date(result.takenUntil as string),
        credentials: result.credentials as RunCredentials,
      };
    },
    async reportCompleted(claim) {
      await call(asRun(claim), 'reportCompleted', claim.taskId, claim.runId);
    },
    async reportFailed(claim) {
      await call(asRun(claim), 'reportFailed', claim.taskId, claim.runId);
    },
    async reportException(claim, reason) {
      await call(asRun(claim), 'reportException', claim.taskId, claim.runId, { reason });
    },
  };
}
