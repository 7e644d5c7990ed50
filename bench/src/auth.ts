/**
 * bench/auth: what authentication costs.
 *
 * 1. Full stack over HTTP on one server core: the same no-op endpoint
 *    (GET /scopes/current) Hawk-signed and unauthenticated (the anonymous role is
 *    granted its scope for the run), interleaved in the same run, so the difference
 *    is authentication alone. Target: authentication adds < 25%, against the bare
 *    unauthenticated request. Printed beside it: the unauthenticated request carrying
 *    a header as long as the Hawk one (see `padded`), which tells the cost of sending
 *    the longer request from the cost of checking it, and GET /ping, which skips
 *    authentication entirely.
 * 2. Role expansion with 10,000 roles: the precomputed index (cold and cached)
 *    against the naive fixed-point expansion. Target: a cached client < 10 µs.
 */
import { randomBytes } from 'node:crypto';
import hawk from 'hawk';
import taskcluster from 'taskcluster-client';
import { expandScopesNaive, RoleIndex, type Role } from '@bulwark/scopes';
import { runLoad } from './load.js';
import { startServerProcess } from './server-process.js';
import { fmt, median } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const CONCURRENCY = 8;
const MAX_PER_PHASE = 60_000;

async function httpBench(): Promise<void> {
  const server = await startServerProcess();
  try {
    const pingUrl = `${server.rootUrl}/api/auth/v1/ping`;
    const authUrl = `${server.rootUrl}/api/auth/v1/scopes/current`;
    await grantAnonymous(server.rootUrl, server.root, ['auth:current-scopes']);
    // Signed ahead of time (each with its own nonce, valid for the skew window), so
    // the load generator's own signing cost cannot throttle the server under test.
    const signAll = (count: number): string[] =>
      Array.from(
        { length: count },
        () =>
          hawk.client.header(authUrl, 'GET', {
            credentials: {
              id: server.root.clientId,
              key: server.root.accessToken,
              algorithm: 'sha256',
            },
            // Longer than the client's 6 characters so 60,000 headers signed in one second never collide.
            nonce: randomBytes(9).toString('base64url'),
          }).header,
      );
    // `padded` is the unauthenticated request carrying the same signed header under a
    // name the server ignores: byte for byte as long as the Hawk request, and as much
    // work for the load generator. Without it the baseline's client is faster, so the
    // server (not saturated: the load generator is the bottleneck) sees denser
    // arrivals and spends less per request on wakeups and writes: that alone made
    // the bare baseline about 10 µs cheaper than the padded one, with no
    // authentication involved.
    type Kind = 'ping' | 'anonymous' | 'padded' | 'hawk';
    const phase = async (kind: Kind, seconds: number): Promise<{ rps: number; cpuUs: number }> => {
      const signed = kind === 'hawk' || kind === 'padded' ? signAll(MAX_PER_PHASE) : [];
      const headerName = kind === 'hawk' ? 'authorization' : 'x-bench-padding';
      const cpuBefore = await server.cpuMicros();
      const result = await runLoad({
        url: kind === 'ping' ? pingUrl : authUrl,
        concurrency: CONCURRENCY,
        seconds,
        maxRequests: MAX_PER_PHASE,
        ...(signed.length > 0
          ? { headers: (i: number) => (signed[i] ? { [headerName]: signed[i] } : undefined) }
          : {}),
      });
      const cpuUs = (await server.cpuMicros()) - cpuBefore;
      if (result.failures > 0) {
        throw new Error(
          `${result.failures} requests failed: ${result.failureStatuses.slice(0, 10).join(', ')}`,
        );
      }
      return { rps: result.perSecond, cpuUs: cpuUs / result.requests };
    };
    const kinds: Kind[] = ['ping', 'anonymous', 'padded', 'hawk'];
    for (const kind of kinds) await phase(kind, 1);
    const results: Record<Kind, { rps: number; cpuUs: number }[]> = {
      ping: [],
      anonymous: [],
      padded: [],
      hawk: [],
    };
    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts with another kind, so no kind always follows the same one.
      const order = kinds.map((_, i) => kinds[(i + round) % kinds.length]!);
      for (const kind of order) results[kind].push(await phase(kind, SECONDS));
    }
    // The same comparison within each round: drifts of the machine between rounds cancel.
    const paired = results.hawk.map((h, i) => h.cpuUs / (results.anonymous[i]?.cpuUs ?? NaN));
    const sortedPairs = [...paired].sort((a, b) => a - b);
    const cpu = (kind: Kind): number => median(results[kind].map((p) => p.cpuUs));
    const rps = (kind: Kind): number => median(results[kind].map((p) => p.rps));
    console.log(
      `server pinned to one core: ${server.pinnedToCore ? 'yes (taskset -c 0)' : 'no (BENCH_PIN_SERVER=0, or no taskset)'}; ` +
        `medians of ${ROUNDS} interleaved rounds of ${SECONDS} s`,
    );
    console.log(
      `reference no authentication at all (GET /ping):          ${fmt(rps('ping'))} req/s, server CPU ${fmt(cpu('ping'))} µs/req`,
    );
    console.log(
      `baseline  unauthenticated no-op (GET /scopes/current):   ${fmt(rps('anonymous'))} req/s, server CPU ${fmt(cpu('anonymous'))} µs/req`,
    );
    console.log(
      `reference the same with a header as long as Hawk's:      ${fmt(rps('padded'))} req/s, server CPU ${fmt(cpu('padded'))} µs/req`,
    );
    console.log(
      `measured  Hawk-authenticated no-op (same endpoint):      ${fmt(rps('hawk'))} req/s, server CPU ${fmt(cpu('hawk'))} µs/req`,
    );
    const ratio = cpu('hawk') / cpu('anonymous');
    console.log(
      `ratio     authenticated/unauthenticated server CPU per request: ${ratio.toFixed(3)} ` +
        `(authentication adds ${((ratio - 1) * 100).toFixed(1)}%; target < 25%); ` +
        `throughput ratio ${(rps('anonymous') / rps('hawk')).toFixed(3)}; ` +
        `against the same-size unauthenticated request ${(cpu('hawk') / cpu('padded')).toFixed(3)}; ` +
        `against /ping ${(cpu('hawk') / cpu('ping')).toFixed(3)}`,
    );
    console.log(
      `          per round (Hawk/unauthenticated in the same round): median ${median(paired).toFixed(3)}, ` +
        `range ${sortedPairs[0]?.toFixed(3)}–${sortedPairs[sortedPairs.length - 1]?.toFixed(3)} over ${paired.length} rounds`,
    );
  } finally {
    await server.stop();
  }
}

/** Grants the anonymous role scopes for the run, so unauthenticated calls reach the handler. */
async function grantAnonymous(
  rootUrl: string,
  root: { clientId: string; accessToken: string },
  scopes: string[],
): Promise<void> {
  const auth = new taskcluster.Auth({ rootUrl, credentials: root });
  await auth.createRole!('anonymous', { description: 'bench', scopes });
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

expansionBench();
await httpBench();
