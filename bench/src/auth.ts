/**
 * bench/auth: what authentication costs.
 *
 * 1. Full stack over HTTP on one server core: authenticated no-op requests
 *    (Hawk-signed GET /scopes/current) against unauthenticated no-op requests
 *    (GET /ping) in the same run. Target: authentication adds < 25%.
 * 2. Role expansion with 10,000 roles: the precomputed index (cold and cached)
 *    against the naive fixed-point expansion. Target: a cached client < 10 µs.
 */
import hawk from 'hawk';
import { expandScopesNaive, RoleIndex, type Role } from '@bulwark/scopes';
import { runLoad } from './load.js';
import { startServerProcess } from './server-process.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = 8;

async function httpBench(): Promise<void> {
  const server = await startServerProcess();
  try {
    const noopUrl = `${server.rootUrl}/api/auth/v1/ping`;
    const authUrl = `${server.rootUrl}/api/auth/v1/scopes/current`;
    const sign = (): Record<string, string> => ({
      authorization: hawk.client.header(authUrl, 'GET', {
        credentials: {
          id: server.root.clientId,
          key: server.root.accessToken,
          algorithm: 'sha256',
        },
      }).header,
    });
    await runLoad({ url: noopUrl, concurrency: CONCURRENCY, seconds: 1 });
    await runLoad({ url: authUrl, concurrency: CONCURRENCY, seconds: 1, headers: sign });
    const noop: number[] = [];
    const authed: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const a = await runLoad({ url: noopUrl, concurrency: CONCURRENCY, seconds: SECONDS });
      const b = await runLoad({
        url: authUrl,
        concurrency: CONCURRENCY,
        seconds: SECONDS,
        headers: sign,
      });
      if (a.failures + b.failures > 0)
        throw new Error(`failed requests: ${a.failures + b.failures}`);
      noop.push(a.perSecond);
      authed.push(b.perSecond);
    }
    const noopRps = median(noop);
    const authRps = median(authed);
    const overhead = noopRps / authRps - 1;
    console.log(
      `server pinned to one core: ${server.pinnedToCore ? 'yes (taskset -c 0)' : 'no (taskset missing)'}`,
    );
    console.log(
      `baseline  unauthenticated no-op (GET /ping):          ${fmt(noopRps)} req/s  ${fmt(1e6 / noopRps)} µs/req`,
    );
    console.log(
      `measured  Hawk-authenticated no-op (GET /scopes/current): ${fmt(authRps)} req/s  ${fmt(1e6 / authRps)} µs/req`,
    );
    console.log(
      `ratio     authenticated/unauthenticated time: ${(1 + overhead).toFixed(3)}  (authentication adds ${(overhead * 100).toFixed(1)}%; target < 25%)`,
    );
  } finally {
    await server.stop();
  }
}

/** A realistic role set: per-repo roles, parameterized project roles and chains between them. */
function makeRoles(count: number): Role[] {
  const roles: Role[] = [];
  for (let i = 0; roles.length < count; i++) {
    roles.push({
      roleId: `repo:github.com/org/repo${i}:branch:*`,
      scopes: [
        `assume:project:p${i % 500}`,
        `queue:route:index.repo${i}.*`,
        `secrets:get:repo${i}/<..>`,
      ],
    });
    if (i < 500) {
      roles.push({
        roleId: `project:p${i}`,
        scopes: [`queue:create-task:highest:proj-p${i}/*`, `assume:worker-pool:p${i % 50}`],
      });
    }
    if (i < 50)
      roles.push({
        roleId: `worker-pool:p${i}`,
        scopes: [`queue:claim-work:proj-p${i}/*`, `secrets:get:pool/p${i}`],
      });
  }
  return roles.slice(0, count);
}

function timePerCall(fn: (i: number) => unknown, iterations: number): number {
  for (let i = 0; i < Math.min(iterations, 1000); i++) fn(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / iterations / 1000;
}

function expansionBench(): void {
  const roles = makeRoles(10_000);
  const buildStart = performance.now();
  const index = RoleIndex.build(roles);
  const buildMs = performance.now() - buildStart;
  const clientScopes = (i: number): string[] => [
    `assume:repo:github.com/org/repo${i % 9000}:branch:main`,
    `assume:project:p${i % 500}`,
    'auth:current-scopes',
  ];
  const cached = clientScopes(7);
  index.expand(cached);
  const cachedUs = timePerCall(() => index.expand(cached), 200_000);
  const coldUs = timePerCall((i) => index.expand(clientScopes(i * 7919)), 2000);
  const naiveUs = timePerCall((i) => expandScopesNaive(roles, clientScopes(i * 7919)), 5);
  console.log(`role index over ${roles.length} roles built in ${buildMs.toFixed(0)} ms`);
  console.log(`baseline  naive fixed-point expansion:   ${fmt(naiveUs)} µs per client`);
  console.log(
    `measured  precomputed index, uncached:   ${fmt(coldUs)} µs per client  (ratio ${(naiveUs / coldUs).toFixed(0)}x faster)`,
  );
  console.log(
    `measured  cached client expansion:       ${cachedUs.toFixed(2)} µs  (target < 10 µs)`,
  );
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

expansionBench();
await httpBench();
