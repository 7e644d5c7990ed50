/**
 * bench/auth: what authentication costs.
 *
 * 1. Full stack over HTTP, the server on one core and kept saturated (pipelined
 *    keep-alive connections), so each figure is what the server itself can do: the
 *    same no-op endpoint (GET /scopes/current) Hawk-signed and unauthenticated (the
 *    anonymous role is granted its scope for the run), in phases of the same run in a
 *    new random order each round, so the difference is authentication alone. Target:
 *    authentication adds < 25% to the server's CPU time per request, against the
 *    unauthenticated request. Printed beside it: the unauthenticated request carrying
 *    a header as long as the Hawk one (`padded`), which tells the cost of receiving the
 *    longer request from the cost of checking it, and GET /ping, which skips
 *    authentication entirely. Then, as a reference, both kinds at one fixed rate from
 *    many clients with one request in flight each.
 * 2. Role expansion with 10,000 roles: the precomputed index (cold and cached)
 *    against the naive fixed-point expansion. Target: a cached client < 10 µs.
 */
import { randomBytes } from 'node:crypto';
import hawk from 'hawk';
import taskcluster from 'taskcluster-client';
import { expandScopesNaive, RoleIndex, type Role } from '@bulwark/scopes';
import { generateLoad, SATURATING_LOAD } from './load.js';
import { startServerProcess } from './server-process.js';
import { fmt, median } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
/** Requests per phase: about a second of saturated server each. */
const PER_PHASE = Number(process.env.BENCH_PHASE_REQUESTS ?? 20_000);
/** The reference at a fixed rate: its rounds, and its clients (one request in flight each). */
const FIXED_RATE_ROUNDS = Math.ceil(ROUNDS / 2);
const FIXED_RATE_CLIENTS = 64;

/** How the load generator drives a phase: saturating by default. */
interface LoadShape {
  connections?: number;
  pipelining?: number;
  rate?: number;
}

type Kind = 'ping' | 'anonymous' | 'padded' | 'hawk';
interface Phase {
  perSecond: number;
  /** Server CPU (user + system) per request, µs. */
  cpuUs: number;
  /** Share of the phase's wall time the server spent on CPU: near 1 when saturated. */
  busy: number;
}

async function httpBench(): Promise<void> {
  const server = await startServerProcess();
  try {
    const pingUrl = `${server.rootUrl}/api/auth/v1/ping`;
    const authUrl = `${server.rootUrl}/api/auth/v1/scopes/current`;
    await grantAnonymous(server.rootUrl, server.root, ['auth:current-scopes']);
    // Every Hawk request of the run is signed before the first phase (each with its
    // own nonce, valid for the skew window), by the hawk package as a client signs:
    // signing is the client's cost, and here it would slow the load generator.
    // Room is left for requests the generator prepares but never sends.
    const hawkPhases = ROUNDS + 1 + FIXED_RATE_ROUNDS;
    const signed = Array.from(
      { length: Math.ceil(hawkPhases * PER_PHASE * 1.1) },
      () =>
        hawk.client.header(authUrl, 'GET', {
          credentials: {
            id: server.root.clientId,
            key: server.root.accessToken,
            algorithm: 'sha256',
          },
          // Longer than the client's 6 characters, so that many headers never collide.
          nonce: randomBytes(9).toString('base64url'),
        }).header,
    );
    let nextSigned = 0;
    const takeSigned = (): string => {
      const header = signed[nextSigned++];
      if (header === undefined) throw new Error('ran out of signed headers');
      return header;
    };
    // `padded` sends the same signed headers under a name the server ignores: byte
    // for byte as long as the Hawk request, and as much work for the load generator.
    const headersOf: Record<Kind, ((i: number) => Record<string, string>) | undefined> = {
      ping: undefined,
      anonymous: undefined,
      padded: (i) => ({ 'x-bench-padding': signed[i % signed.length] ?? '' }),
      hawk: () => ({ authorization: takeSigned() }),
    };
    const phase = async (kind: Kind, shape: LoadShape = {}): Promise<Phase> => {
      const cpuBefore = await server.cpuMicros();
      const headers = headersOf[kind];
      const result = await generateLoad({
        url: kind === 'ping' ? pingUrl : authUrl,
        requests: PER_PHASE,
        ...shape,
        ...(headers && { headers }),
      });
      const cpuUs = (await server.cpuMicros()) - cpuBefore;
      if (result.failures > 0) throw new Error(`${result.failures} ${kind} requests failed`);
      return {
        perSecond: result.perSecond,
        cpuUs: cpuUs / result.requests,
        busy: cpuUs / 1e6 / result.seconds,
      };
    };
    const kinds: Kind[] = ['ping', 'anonymous', 'padded', 'hawk'];
    // A first phase of each kind warms the server's code up; it is not counted.
    for (const kind of kinds) await phase(kind);
    const results: Record<Kind, Phase[]> = { ping: [], anonymous: [], padded: [], hawk: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // A new order each round: what a phase leaves behind (garbage to collect, a
      // cooler cache) falls on a different kind each time.
      for (const kind of shuffled(kinds)) results[kind].push(await phase(kind));
    }
    printHttpResults(results, server.pinnedToCore);

    // Reference: many clients with one request in flight each, as real clients send,
    // both kinds at one fixed rate (40% of the saturated Hawk throughput: below where
    // one request per connection saturates), so the load generator works and idles
    // alike in both and only the server's work differs.
    const rate = Math.round(0.4 * median(results.hawk.map((p) => p.perSecond)));
    const shape: LoadShape = { connections: FIXED_RATE_CLIENTS, pipelining: 1, rate };
    const fixedRate: Record<'anonymous' | 'hawk', Phase[]> = { anonymous: [], hawk: [] };
    for (let round = 0; round < FIXED_RATE_ROUNDS; round++) {
      for (const kind of shuffled(['anonymous', 'hawk'] as const)) {
        fixedRate[kind].push(await phase(kind, shape));
      }
    }
    printFixedRateResults(fixedRate, rate);
  } finally {
    await server.stop();
  }
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

function printHttpResults(results: Record<Kind, Phase[]>, pinned: boolean): void {
  const cpu = (kind: Kind): number => median(results[kind].map((p) => p.cpuUs));
  const rps = (kind: Kind): number => median(results[kind].map((p) => p.perSecond));
  const busy = Math.min(...Object.values(results).flatMap((phases) => phases.map((p) => p.busy)));
  // The same comparison within each round: drifts of the machine between rounds cancel.
  const paired = results.hawk.map((h, i) => h.cpuUs / (results.anonymous[i]?.cpuUs ?? NaN));
  const sortedPairs = [...paired].sort((a, b) => a - b);
  console.log(
    `server pinned to one core: ${pinned ? 'yes (taskset -c 0)' : 'no (BENCH_PIN_SERVER=0, or no taskset)'}; ` +
      `medians of ${ROUNDS} rounds of ${PER_PHASE} requests per kind, ` +
      `${SATURATING_LOAD.connections} connections x ${SATURATING_LOAD.pipelining} pipelined; ` +
      `server busy at least ${(busy * 100).toFixed(0)}% of every phase`,
  );
  const line = (label: string, kind: Kind): void =>
    console.log(`${label.padEnd(58)}${fmt(rps(kind))} req/s, server CPU ${fmt(cpu(kind))} µs/req`);
  line('reference no authentication at all (GET /ping):', 'ping');
  line('baseline  unauthenticated no-op (GET /scopes/current):', 'anonymous');
  line("reference the same with a header as long as Hawk's:", 'padded');
  line('measured  Hawk-authenticated no-op (same endpoint):', 'hawk');
  const ratio = median(paired);
  console.log(
    `ratio     Hawk/unauthenticated server CPU per request, per round: median ${ratio.toFixed(3)} ` +
      `(authentication adds ${((ratio - 1) * 100).toFixed(1)}%; target < 25%), ` +
      `range ${sortedPairs[0]?.toFixed(3)}–${sortedPairs[sortedPairs.length - 1]?.toFixed(3)}`,
  );
  console.log(
    `          throughput ratio ${(rps('anonymous') / rps('hawk')).toFixed(3)}; ` +
      `against the same-size unauthenticated request ${(cpu('hawk') / cpu('padded')).toFixed(3)}; ` +
      `against /ping ${(cpu('hawk') / cpu('ping')).toFixed(3)}`,
  );
}

function printFixedRateResults(results: Record<'anonymous' | 'hawk', Phase[]>, rate: number): void {
  const cpu = (kind: 'anonymous' | 'hawk'): number => median(results[kind].map((p) => p.cpuUs));
  const paired = results.hawk.map((h, i) => h.cpuUs / (results.anonymous[i]?.cpuUs ?? NaN));
  console.log(
    `reference ${FIXED_RATE_CLIENTS} clients, one request in flight each, both at ${fmt(rate)} req/s ` +
      `(${FIXED_RATE_ROUNDS} rounds): unauthenticated ${fmt(cpu('anonymous'))} µs/req, ` +
      `Hawk ${fmt(cpu('hawk'))} µs/req, per-round ratio median ${median(paired).toFixed(3)}`,
  );
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
