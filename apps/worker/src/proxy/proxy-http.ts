import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Request headers that never pass the proxy: connection-level ones, the task's own
 * `Authorization` (the proxy signs), `Host` (set for the control plane),
 * `Accept-Encoding` (answers must arrive readable, to be scrubbed) and the
 * `Forwarded` family, which would change how the control plane reads the request.
 */
const DROPPED_REQUEST_HEADERS = new Set([
  'accept-encoding',
  'authorization',
  'connection',
  'forwarded',
  'host',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-proto',
]);

const HOP_BY_HOP_RESPONSE_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** A Host header: a DNS name or IPv4 address, or a bracketed IPv6 address, and a port. */
const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;

export function requestHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !DROPPED_REQUEST_HEADERS.has(name)) headers[name] = value;
  }
  return headers;
}

export function relayedHeaders(upstream: IncomingMessage): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value !== undefined && !HOP_BY_HOP_RESPONSE_HEADERS.has(name)) headers[name] = value;
  }
  return headers;
}

/** The origin the task addressed the proxy by, for URLs handed back to it. */
export function taskOrigin(host: string | undefined): string | undefined {
  return host !== undefined && HOST.test(host) ? `http://${host}` : undefined;
}

/** A whole body, refused past `max` bytes. */
export async function readBody(stream: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new Error(`answer larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The proxy's own answer, shaped as the control plane's errors are. */
export function refuse(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  details: Record<string, string> = {},
): void {
  const body = Buffer.from(JSON.stringify({ code, message, ...details }));
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(body.length),
  });
  res.end(body);
}
