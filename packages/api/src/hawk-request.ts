import type { FastifyRequest } from 'fastify';
import type { HawkRequestInfo } from './authenticator.js';

const MAX_HOST_LENGTH = 255;

/**
 * Derives what the client signed from the request, as Taskcluster does: host from
 * the Host header, port from X-Forwarded-Port, else 443 behind an https proxy,
 * else the Host header's port (80 when absent). Returns undefined when the Host
 * header is missing or malformed, which can only fail authentication.
 */
export function hawkRequestInfo(req: FastifyRequest): HawkRequestInfo | undefined {
  const hostHeader = req.headers.host;
  if (typeof hostHeader !== 'string' || hostHeader.length > MAX_HOST_LENGTH) return undefined;
  const parsed = parseHostHeader(hostHeader);
  if (!parsed) return undefined;

  let port = parsed.port;
  const forwardedPort = singleHeader(req.headers['x-forwarded-port']);
  const forwardedProto = singleHeader(req.headers['x-forwarded-proto']);
  if (forwardedPort !== undefined && /^[0-9]{1,5}$/.test(forwardedPort)) {
    port = Number(forwardedPort);
  } else if (forwardedProto === 'https') {
    port = 443;
  }
  return new RequestInfo(req, parsed.host, port, singleHeader(req.headers.authorization));
}

/**
 * One per request, so built cheaply: a class whose instances share one shape and
 * whose lazy getter lives on the prototype. (An object literal with its own getter
 * cost about 1.5 µs per request, every request, authenticated or not.)
 */
class RequestInfo implements HawkRequestInfo {
  readonly method: string;
  readonly resource: string;

  constructor(
    private readonly request: FastifyRequest,
    readonly host: string,
    readonly port: number,
    readonly authorization: string | undefined,
  ) {
    this.method = request.method.toLowerCase();
    this.resource = request.url;
  }

  /** Only a remote authenticator sends it on, and Fastify works it out on each read. */
  get sourceIp(): string {
    return this.request.ip;
  }
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

interface HostAndPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Host headers seen recently, parsed: a deployment is reached under a handful of
 * names, so every authenticated request would otherwise run the same expression on
 * the same string. Bounded (cleared when full), so varied headers cannot grow it.
 */
const parsedHosts = new Map<string, HostAndPort | null>();
const MAX_PARSED_HOSTS = 64;

function parseHostHeader(header: string): HostAndPort | undefined {
  let parsed = parsedHosts.get(header);
  if (parsed === undefined) {
    parsed = parseHost(header);
    if (parsedHosts.size >= MAX_PARSED_HOSTS) parsedHosts.clear();
    parsedHosts.set(header, parsed);
  }
  return parsed ?? undefined;
}

function parseHost(header: string): HostAndPort | null {
  // IPv6 literals keep their brackets in the Host header; the client signs the bare address.
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::([0-9]{1,5}))?$/.exec(header);
  if (!match?.[1]) return null;
  const host = match[1].startsWith('[') ? match[1].slice(1, -1) : match[1];
  return Object.freeze({ host: host.toLowerCase(), port: match[2] ? Number(match[2]) : 80 });
}
