import http from 'node:http';

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  failures: number;
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
  headers?: () => Record<string, string>;
}): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const target = new URL(options.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname))
    throw new Error('loopback only');
  const deadline = performance.now() + options.seconds * 1000;
  const maxRequests = options.maxRequests ?? 5_000_000;
  let requests = 0;
  let failures = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = http.request(
        target,
        { agent, method: 'GET', headers: options.headers ? options.headers() : {} },
        (res) => {
          if (res.statusCode !== 200) failures++;
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', () => {
        failures++;
        resolve();
      });
      req.end();
    });
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (performance.now() < deadline && requests < maxRequests) {
      requests++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, lane));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { requests, seconds, perSecond: requests / seconds, failures };
}
