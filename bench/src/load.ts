import autocannon from 'autocannon';

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  /** Requests answered with anything but 2xx, or not answered. */
  failures: number;
}

/**
 * The default load: 16 keep-alive connections with 16 requests in flight on each, so
 * the server always has a backlog and how fast the generator refills it does not
 * change what a request costs.
 */
export const SATURATING_LOAD = { connections: 16, pipelining: 16 } as const;

/**
 * Sends about `requests` GETs (autocannon rounds to whole pipelines) and stops:
 * saturating (SATURATING_LOAD) unless the caller gives another shape or a `rate`.
 * The generator is autocannon, whose HTTP client costs far less per request than
 * Node's: one core of it outruns one core of server. Loopback only.
 */
export async function generateLoad(options: {
  url: string;
  requests: number;
  connections?: number;
  pipelining?: number;
  /** Requests per second over all connections; as fast as the server answers when absent. */
  rate?: number;
  /** Extra headers for the i-th request sent. */
  headers?: (i: number) => Record<string, string>;
}): Promise<LoadResult> {
  const target = new URL(options.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname))
    throw new Error('loopback only');
  let sent = 0;
  const headersFor = options.headers;
  const started = performance.now();
  let lastAnswer = started;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections ?? SATURATING_LOAD.connections,
        pipelining: options.pipelining ?? SATURATING_LOAD.pipelining,
        amount: options.requests,
        ...(options.rate !== undefined && { overallRate: options.rate }),
        requests: [
          {
            method: 'GET',
            ...(headersFor && {
              setupRequest: (request) => ({ ...request, headers: headersFor(sent++) }),
            }),
          },
        ],
      },
      (err: unknown, done) =>
        err ? reject(err instanceof Error ? err : new Error('autocannon failed')) : resolve(done),
    );
    // autocannon notices the end on its next once-a-second tick; the phase ends at the
    // last answer instead, so its time is the server's and no idle tail is measured.
    instance.on('response', () => {
      lastAnswer = performance.now();
    });
  });
  const seconds = (lastAnswer - started) / 1000;
  const requests = result.requests.total;
  return {
    requests,
    seconds,
    perSecond: requests / seconds,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}
