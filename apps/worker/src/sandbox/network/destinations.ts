import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import type { Destination } from '../engine.js';
import { runTool } from '../run-tool.js';

/** A destination as the firewall sees it: one IPv4 address and a port. */
export interface ResolvedDestination {
  /** As the payload named it (an address or a host name). */
  name: string;
  address: string;
  port: number;
}

/** A destination the engine will not open; the message says why in plain words. */
export class DestinationRefused extends Error {}

/** Ranges no task may be sent to, whatever a pool lists: the host and link-local services. */
const REFUSED_RANGES: { base: string; bits: number; why: string }[] = [
  { base: '0.0.0.0', bits: 8, why: 'is not a usable destination address' },
  { base: '127.0.0.0', bits: 8, why: "is a loopback address (the worker host's own services)" },
  {
    base: '169.254.0.0',
    bits: 16,
    why: 'is a link-local address (cloud metadata services and task gateways live there)',
  },
  { base: '224.0.0.0', bits: 4, why: 'is a multicast address' },
  { base: '240.0.0.0', bits: 4, why: 'is a reserved or broadcast address' },
];

function toNumber(address: string): number {
  return address.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
}

export function refusedRangeReason(address: string): string | undefined {
  const value = toNumber(address);
  for (const range of REFUSED_RANGES) {
    const size = 2 ** (32 - range.bits);
    const base = toNumber(range.base);
    if (value >= base && value < base + size) return range.why;
  }
  return undefined;
}

/**
 * Turns a task's allowlist into addresses the firewall can match, refusing (S7, S9)
 * what must never be opened: IPv6 (not filtered per destination yet), loopback,
 * link-local and multicast ranges, any address of the worker host itself, and
 * destinations the host cannot forward to. Names are resolved once, here, by the
 * worker; the task sees the result in its /etc/hosts and has no DNS of its own.
 */
export async function resolveDestinations(
  allow: readonly Destination[],
): Promise<ResolvedDestination[]> {
  const resolved: ResolvedDestination[] = [];
  for (const { host, port } of allow) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new DestinationRefused(`${host}:${port}: no such port`);
    }
    if (isIPv6(host)) {
      throw new DestinationRefused(
        `${host}:${port}: IPv6 destinations are not supported; list an IPv4 address`,
      );
    }
    let addresses: string[];
    if (isIPv4(host)) addresses = [host];
    else {
      const found = await lookup(host, { all: true, family: 4 }).catch(() => []);
      if (found.length === 0)
        throw new DestinationRefused(`${host}:${port}: the name has no IPv4 address`);
      addresses = [...new Set(found.map((f) => f.address))];
    }
    for (const address of addresses) {
      const label = address === host ? `${host}:${port}` : `${host}:${port} (${address})`;
      const why = refusedRangeReason(address) ?? (await routeProblem(address));
      if (why !== undefined) throw new DestinationRefused(`${label} ${why}`);
      resolved.push({ name: host, address, port });
    }
  }
  return resolved;
}

/** Why the host cannot (or must not) forward a task's packets to this address. */
async function routeProblem(address: string): Promise<string | undefined> {
  const output = await runTool('ip', ['-j', 'route', 'get', address]).catch(() => '[]');
  const route = (JSON.parse(output) as { type?: string; dev?: string }[])[0];
  if (route === undefined || route.dev === undefined) return 'has no route from this host';
  if (route.type === 'local') {
    return "is an address of this worker host; tasks never reach the host's own services";
  }
  if (route.type !== undefined && route.type !== 'unicast') {
    return `is routed as ${route.type} on this host`;
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
    if (isIPv4(name) || seen.has(`${address} ${name}`)) continue;
    seen.add(`${address} ${name}`);
    lines.push(`${address}\t${name}`);
  }
  return `${lines.join('\n')}\n`;
}
