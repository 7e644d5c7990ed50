import http from 'node:http';

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  failures: number;
  /** Status codes of failed requests (0: no response). */
  failureStatuses: number[];
}

/**
 * Closed-loop load over keep-alive connections: `concurrency` requests in flight,
 * each started when the previous one on its lane finished, for `seconds`.
 * Bounded in time and count, loopback only.
 */
export async function runLoad(options: {
  url: string;
  concurrency: number;
  seconds: number;
  maxRequests?: number;
  /** Headers for the i-th request; the run stops when it returns undefined. */
  headers?: (i: number) => Record<string, string> | undefined;
}): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const target = new URL(options.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname))
    throw new Error('loopback only');
  const deadline = performance.now() + options.seconds * 1000;
  const maxRequests = options.maxRequests ?? 5_000_000;
  let requests = 0;
  let failures = 0;
  const failureStatuses: number[] = [];
  const one = (headers: Record<string, string>): Promise<void> =>
    new Promise((resolve) => {
      const req = http.request(target, { agent, method: 'GET', headers }, (res) => {
        if (res.statusCode !== 200) {
          failures++;
          failureStatuses.push(res.statusCode ?? 0);
        }
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', () => {
        failures++;
        failureStatuses.push(0);
        resolve();
      });
      req.end();
    });
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (performance.now() < deadline && requests < maxRequests) {
      const headers = options.headers ? options.headers(requests) : {};
      if (!headers) break;
      requests++;
      await one(headers);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, lane));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { requests, seconds, perSecond: requests / seconds, failures, failureStatuses };
}
