/**
 * The one reader of `host:port` network entries, for a pool's permissions (the worker's
 * configuration), a task's `network.allow` and the engine itself (S7). It accepts only
 * what every later step reads the same way:
 * - an IPv4 address as four decimal numbers 0-255 without leading zeros (`10.250.0.2`).
 *   The C resolver reads `010.250.000.002` as octal (8.250.0.2), `0x7f.1` as hex and
 *   `2130706433` as one number, so an entry that looks numeric and is not in that
 *   form is refused rather than handed to it;
 * - a DNS name of letters, digits and hyphens whose last label is not a number;
 * - a port as a decimal number 1-65535 without leading zeros.
 * IPv6 and address ranges are not supported and are refused by name.
 */
export interface AllowEntry {
  /** Lower case. */
  host: string;
  port: number;
}

export class AllowEntryError extends Error {
  override readonly name = 'AllowEntryError';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_ALLOW_ENTRY';
}

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const CANONICAL_IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** What the C resolver would take as (part of) a number: decimal, octal or hex. */
const NUMERIC_LABEL = /^(?:[0-9]+|0x[0-9a-f]*)$/;
const PORT = /^[1-9][0-9]{0,4}$/;

export function isCanonicalIPv4(text: string): boolean {
  return CANONICAL_IPV4.test(text);
}

/** Why `host` is not an acceptable destination host, or undefined when it is. */
export function hostProblem(host: string): string | undefined {
  if (host.includes(':') || host.startsWith('[')) {
    return 'is an IPv6 address; IPv6 destinations are not supported, list an IPv4 address';
  }
  if (host.includes('/')) return 'is an address range; ranges are not supported, list each address';
  if (isCanonicalIPv4(host)) return undefined;
  if (host.length === 0 || host.length > 253) return 'is not a host name or an IPv4 address';
  const labels = host.split('.');
  if (NUMERIC_LABEL.test(labels.at(-1) ?? '')) {
    return 'is not a canonical IPv4 address: write four decimal numbers from 0 to 255 without leading zeros, such as 10.250.0.2';
  }
  if (!labels.every((label) => LABEL.test(label))) {
    return 'is not a host name (letters, digits and hyphens, labels separated by dots) or an IPv4 address';
  }
  return undefined;
}

/** Parses `host:port`; throws an AllowEntryError saying what is wrong in plain words. */
export function parseAllowEntry(entry: string): AllowEntry {
  const separator = entry.lastIndexOf(':');
  if (separator < 0) throw new AllowEntryError('must be written host:port');
  const host = entry.slice(0, separator).toLowerCase();
  const portText = entry.slice(separator + 1);
  if (host === '') throw new AllowEntryError('has no host');
  const problem = hostProblem(host);
  if (problem !== undefined) throw new AllowEntryError(`${host} ${problem}`);
  const port = Number(portText);
  if (!PORT.test(portText) || port > 65535) {
    throw new AllowEntryError(
      `port ${portText} is not a decimal number from 1 to 65535 without leading zeros`,
    );
  }
  return { host, port };
}

/** The entry as pools, payloads and scopes spell it. */
export function entryText({ host, port }: AllowEntry): string {
  return `${host}:${port}`;
}
