import http from 'node:http';
import https from 'node:https';
import { hawkHeader } from './hawk-signer.js';
import type { Credentials } from './types.js';

export interface RawAnswer {
  status: number;
  /** The error code of a Taskcluster error body, when there is one. */
  code: string | undefined;
  body: string;
}

export interface RawRequest {
  method: string;
  /** The request target, sent byte for byte: no URL parser normalizes it first. */
  path: string;
  body?: unknown;
  /** A ready Authorization header (a forged or captured one), or credentials to sign with. */
  authorization?: string;
  signWith?: Credentials & { ext?: Record<string, unknown> };
}

const MAX_BODY = 64 * 1024;
const TIMEOUT_MS = 30_000;

/**
 * One HTTP request to the deployment, and only to it: the target is always a path on the
 * root URL's origin, so no attack can send traffic anywhere else.
 */
export async function rawRequest(rootUrl: string, request: RawRequest): Promise<RawAnswer> {
  const origin = new URL(rootUrl);
  const port = Number(origin.port || (origin.protocol === 'https:' ? 443 : 80));
  const headers: Record<string, string> = { accept: 'application/json' };
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (request.authorization !== undefined) headers.authorization = request.authorization;
  else if (request.signWith) {
    const ext: Record<string, unknown> = { ...request.signWith.ext };
    if (request.signWith.certificate) ext.certificate = JSON.parse(request.signWith.certificate);
    headers.authorization = hawkHeader({
      id: request.signWith.clientId,
      key: request.signWith.accessToken,
      method: request.method,
      resource: request.path,
      host: origin.hostname,
      port,
      ...(Object.keys(ext).length > 0 ? { ext } : {}),
    });
  }
  const transport = origin.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      {
        host: origin.hostname,
        port,
        method: request.method,
        path: request.path,
        headers,
        timeout: TIMEOUT_MS,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < MAX_BODY) text += chunk;
        });
        res.on('end', () => {
          let code: string | undefined;
          try {
            const parsed = JSON.parse(text) as { code?: unknown };
            if (typeof parsed.code === 'string') code = parsed.code;
          } catch {
            // Not JSON: the status says it all.
          }
          resolve({ status: res.statusCode ?? 0, code, body: text.slice(0, MAX_BODY) });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The Authorization header a client would send for this request, without sending it. */
export function signRequest(
  rootUrl: string,
  method: string,
  path: string,
  credentials: Credentials,
): string {
  const origin = new URL(rootUrl);
  const port = Number(origin.port || (origin.protocol === 'https:' ? 443 : 80));
  return hawkHeader({
    id: credentials.clientId,
    key: credentials.accessToken,
    method,
    resource: path,
    host: origin.hostname,
    port,
    ...(credentials.certificate
      ? { ext: { certificate: JSON.parse(credentials.certificate) } }
      : {}),
  });
}

/** The path of an API endpoint below the root URL (a root URL may have a path of its own). */
export function apiPath(rootUrl: string, service: string, route: string): string {
  const base = new URL(rootUrl).pathname.replace(/\/+$/, '');
  return `${base}/api/${service}/v1${route}`;
}
