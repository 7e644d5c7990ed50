/**
 * IPv4 ranges a task's allowlist may not open (S7), in two tiers:
 * - never, whatever a pool lists: the host's loopback, link-local (where cloud metadata
 *   services and the task gateways live), other metadata addresses, multicast and
 *   reserved space;
 * - not through a name: private, shared (CGNAT) and other non-public space, where the
 *   services of the worker's own network live. A pool that means such an address lists
 *   it as an address; a name that resolves there (a name re-pointed at an internal
 *   service, DNS rebinding) is refused.
 */
interface Range {
  base: number;
  bits: number;
  why: string;
}

function range(base: string, bits: number, why: string): Range {
  return { base: ipv4Number(base), bits, why };
}

const NEVER: readonly Range[] = [
  range('0.0.0.0', 8, 'is not a usable destination address'),
  range('127.0.0.0', 8, "is a loopback address (the worker host's own services)"),
  range(
    '169.254.0.0',
    16,
    'is a link-local address (cloud metadata services and task gateways live there)',
  ),
  range('168.63.129.16', 32, "is Azure's platform address (metadata and host services)"),
  range('224.0.0.0', 4, 'is a multicast address'),
  range('240.0.0.0', 4, 'is a reserved or broadcast address'),
];

const NOT_BY_NAME: readonly Range[] = [
  range('10.0.0.0', 8, 'is a private address'),
  range('172.16.0.0', 12, 'is a private address'),
  range('192.168.0.0', 16, 'is a private address'),
  range(
    '100.64.0.0',
    10,
    'is a shared (carrier-grade NAT) address, where some clouds serve metadata',
  ),
  range('192.0.0.0', 24, 'is reserved for protocol assignments'),
  range('198.18.0.0', 15, 'is a benchmarking address, never on the internet'),
];

/** The address as a 32-bit number; the caller has checked it is canonical dotted-quad. */
export function ipv4Number(address: string): number {
  return address.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
}

function find(ranges: readonly Range[], address: string): string | undefined {
  const value = ipv4Number(address);
  for (const { base, bits, why } of ranges) {
    if (value >= base && value < base + 2 ** (32 - bits)) return why;
  }
  return undefined;
}

/** Why no task may ever be sent to this address, or undefined. */
export function neverReason(address: string): string | undefined {
  return find(NEVER, address);
}

/** Why a name may not lead a task to this address (a listed address may), or undefined. */
export function notByNameReason(address: string): string | undefined {
  return find(NEVER, address) ?? find(NOT_BY_NAME, address);
}
