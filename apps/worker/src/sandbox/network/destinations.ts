import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import type { Destination } from '../engine.js';
import { runTool, ToolError } from '../run-tool.js';
import { neverReason, notByNameReason } from './address-ranges.js';
import { hostProblem, isCanonicalIPv4 } from './allow-entry.js';

/** A destination as the firewall sees it: one IPv4 address and a port. */
export interface ResolvedDestination {
  /** As the payload named it (an address or a host name). */
  name: string;
  address: string;
  port: number;
  /** Reached through a name (which may lead only to public addresses), not listed as an address. */
  byName: boolean;
}

/** A destination the engine will not open; the message says why in plain words. */
export class DestinationRefused extends Error {
  override readonly name = 'DestinationRefused';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_DESTINATION_REFUSED';
}

/** Turns a host name into its IPv4 addresses; the system resolver unless a worker sets one. */
export type NameResolver = (name: string) => Promise<string[]>;

const RESOLVE_TIMEOUT_MS = 5000;

export const systemResolver: NameResolver = async (name) =>
  (await lookup(name, { all: true, family: 4 })).map((found) => found.address);

/**
 * Turns a task's allowlist into addresses the firewall can match, refusing (S7, S9)
 * what must never be opened. The rule for names (docs/decisions.md, D26): a name is
 * resolved by the worker when each task starts, and every address it resolves to must
 * be public: a name that leads to a private, shared, loopback, link-local or metadata
 * address, an address of the worker host, or a neighbour on the worker host's own
 * network (no router between) is refused, so re-pointing a permitted name at an
 * internal service (DNS rebinding) gains nothing. A pool that means an internal
 * address lists the address itself. For every destination: not IPv6, not loopback,
 * link-local, metadata, multicast or reserved. The host's routes are checked apart,
 * by routeRefusal(). The task sees the resolved names in its /etc/hosts and has no DNS
 * of its own.
 */
export async function resolveDestinations(
  allow: readonly Destination[],
  resolveName: NameResolver = systemResolver,
): Promise<ResolvedDestination[]> {
  const resolved: ResolvedDestination[] = [];
  const seen = new Set<string>();
  for (const { host, port } of allow) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new DestinationRefused(`${host}:${port}: no such port`);
    }
    const syntax = hostProblem(host);
    if (syntax !== undefined) throw new DestinationRefused(`${host}:${port}: ${host} ${syntax}`);
    const byName = !isCanonicalIPv4(host);
    const addresses = byName ? await resolve(host, port, resolveName) : [host];
    for (const address of addresses) {
      const never = neverReason(address);
      if (never !== undefined)
        throw new DestinationRefused(`${label(host, address, port)} ${never}`);
      const internal = byName ? notByNameReason(address) : undefined;
      if (internal !== undefined) {
        throw new DestinationRefused(`${label(host, address, port)} ${internal}; ${NAME_RULE}`);
      }
      if (seen.has(`${host} ${address}:${port}`)) continue;
      seen.add(`${host} ${address}:${port}`);
      resolved.push({ name: host, address, port, byName });
    }
  }
  return resolved;
}

/**
 * Why the worker host cannot or must not forward to one of these destinations (S7): an
 * address of the host itself, one with no route, one routed as anything but unicast,
 * one on a link the host does not forward from, and, for a name, a neighbour on one of
 * the host's own links (no router between). Undefined when every one is fine. Never
 * rejects (a lookup that fails is a refusal), so the engine runs it alongside the
 * network's setup: nothing runs in the network before both are done.
 */
export async function routeRefusal(
  destinations: readonly ResolvedDestination[],
): Promise<string | undefined> {
  try {
    // One lookup for every address: each tool run costs the task's start milliseconds.
    const routes = await lookUpRoutes([...new Set(destinations.map((d) => d.address))]);
    for (const { name, address, port, byName } of destinations) {
      const why = await routeProblem(routes.get(address), byName);
      if (why !== undefined) return `${label(name, address, port)} ${why}`;
    }
    return undefined;
  } catch (err) {
    return `: the host's routes could not be looked up (${(err as Error).message})`;
  }
}

function label(host: string, address: string, port: number): string {
  return host === address ? `${host}:${port}` : `${host}:${port} (resolved to ${address})`;
}

const NAME_RULE =
  "a name may lead a task only to public addresses (list the address itself in the pool's permissions to allow it)";

async function resolve(host: string, port: number, resolveName: NameResolver): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), RESOLVE_TIMEOUT_MS);
  });
  let found: string[];
  try {
    found = await Promise.race([resolveName(host), timeout]);
  } catch (err) {
    throw new DestinationRefused(
      `${host}:${port}: the name could not be resolved (${(err as Error).message})`,
    );
  } finally {
    clearTimeout(timer);
  }
  if (found.length === 0)
    throw new DestinationRefused(`${host}:${port}: the name has no IPv4 address`);
  for (const address of found) {
    if (!isCanonicalIPv4(address)) {
      throw new DestinationRefused(
        `${host}:${port}: the resolver answered ${JSON.stringify(address)}, not an IPv4 address`,
      );
    }
  }
  return [...new Set(found)];
}

interface Route {
  type?: string;
  dst?: string;
  dev?: string;
  gateway?: string;
}

/** The host's route to each address, as `ip route get` finds it (none: no route). */
async function lookUpRoutes(addresses: readonly string[]): Promise<Map<string, Route>> {
  const routes = new Map<string, Route>();
  if (addresses.length === 0) return routes;
  const script = addresses.map((address) => `route get ${address}\n`).join('');
  // -force: an address without a route prints nothing and the others carry on.
  const output = await runTool('ip', ['-j', '-force', '-batch', '-'], script).catch(
    (err: unknown) => (err instanceof ToolError ? err.stdout : ''),
  );
  for (const line of output.split('\n')) {
    if (!line.startsWith('[')) continue;
    const route = (JSON.parse(line) as Route[])[0];
    if (route?.dst !== undefined) routes.set(route.dst, route);
  }
  return routes;
}

/** Why the host cannot (or must not) forward a task's packets along this route. */
async function routeProblem(
  route: Route | undefined,
  byName: boolean,
): Promise<string | undefined> {
  if (route === undefined || route.dev === undefined) return 'has no route from this host';
  if (route.type === 'local') {
    return "is an address of this worker host; tasks never reach the host's own services";
  }
  if (route.type !== undefined && route.type !== 'unicast') {
    return `is routed as ${route.type} on this host`;
  }
  if (byName && route.gateway === undefined) {
    return `is on the worker host's own network (${route.dev}, no router between); ${NAME_RULE}`;
  }
  const forwarding = await readFile(
    `/proc/sys/net/ipv4/conf/${route.dev}/forwarding`,
    'utf8',
  ).catch(() => '0');
  if (forwarding.trim() !== '1') {
    return `cannot be reached: this host does not forward packets arriving on ${route.dev}, where the replies come from (an operator sets net.ipv4.conf.${route.dev}.forwarding=1)`;
  }
  return undefined;
}

/** /etc/hosts for the sandbox: loopback, and the names the task was allowed, as resolved. */
export function hostsFile(destinations: readonly ResolvedDestination[]): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  const seen = new Set<string>();
  for (const { name, address } of destinations) {
    if (isCanonicalIPv4(name) || seen.has(`${address} ${name}`)) continue;
    seen.add(`${address} ${name}`);
    lines.push(`${address}\t${name}`);
  }
  return `${lines.join('\n')}\n`;
}
