import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { secretStrings } from '../logs/secret-forms.js';
import { signRequest, type RunCredentials } from './run-credentials.js';

export interface TaskProxyOptions {
  /** The control plane's root URL; every request goes there and nowhere else. */
  rootUrl: string;
  credentials: RunCredentials;
  /** What the task may do: its own scopes plus creating artifacts on its own run. */
  authorizedScopes: readonly string[];
  /** Receives every secret value the task fetches, before the task sees it (S15). */
  onSecretValue: (value: string) => void;
  logger: Logger;
  /** Requests in flight at once; more wait their turn at the socket. */
  maxConcurrentRequests?: number;
}

/** Paths the proxy forwards: `/api/<service>/v<n>/...`, nothing else (no traversal). */
const API_PATH = /^\/api\/([a-z][a-z0-9-]{0,63})\/v[0-9]{1,3}\/[^?#]*$/;
const SECRET_PATH = /^\/api\/secrets\/v1\/secret\//;
/** A secret is at most 64 KiB of JSON; its response is read whole only to learn its values. */
const MAX_SECRET_RESPONSE = 1024 * 1024;
const HOP_BY_HOP = new Set([
  'authorization',
  'connection',
  'host',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * The task's only way to the API (S2): an HTTP server that the sandbox exposes to the
 * task, which signs each request with the run's credentials narrowed by
 * authorizedScopes. The task never holds a credential: not in its environment, its
 * files or its memory. Credentials are swapped in place on reclaim, and once the run
 * resolves every request is refused here, before the control plane refuses it too.
 */
export class TaskProxy {
  private credentials: RunCredentials | undefined;
  private readonly server: Server;
  private readonly root: URL;

  constructor(private readonly options: TaskProxyOptions) {
    this.credentials = options.credentials;
    this.root = new URL(options.rootUrl);
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.maxConnections = options.maxConcurrentRequests ?? 32;
    this.server.headersTimeout = 30_000;
  }

  /** Listens on a unix socket path (bound into the sandbox) or a loopback port. */
  async listen(target: { path: string } | { port: number }): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      if ('path' in target) this.server.listen(target.path, resolve);
      else this.server.listen(target.port, '127.0.0.1', resolve);
    });
    const address = this.server.address();
    return typeof address === 'string' ? address : `http://127.0.0.1:${address?.port ?? 0}`;
  }

  /** After a reclaim: later requests are signed with the new credentials. */
  updateCredentials(credentials: RunCredentials): void {
    if (this.credentials !== undefined) this.credentials = credentials;
  }

  /** The run resolved: nothing more goes through, and it cannot be undone. */
  revoke(): void {
    this.credentials = undefined;
  }

  async close(): Promise<void> {
    this.revoke();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '';
    const pathOnly = path.split('?')[0] ?? '';
    const credentials = this.credentials;
    if (credentials === undefined) {
      return refuse(res, 403, 'RunResolved', 'this task’s run has resolved; the proxy is closed');
    }
    if (!API_PATH.test(pathOnly) || pathOnly.split('/').some((s) => s === '..' || s === '.')) {
      return refuse(
        res,
        404,
        'ResourceNotFound',
        'the proxy forwards /api/<service>/v<n>/... only',
      );
    }
    const url = new URL(path, this.root);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    headers.authorization = signRequest(
      credentials,
      this.options.authorizedScopes,
      url.href,
      req.method ?? 'GET',
    );
    try {
      const upstream = await this.forward(req, url, headers);
      const isSecret =
        req.method === 'GET' && SECRET_PATH.test(pathOnly) && upstream.statusCode === 200;
      if (isSecret) await this.relaySecret(upstream, res);
      else await this.relay(upstream, res);
      this.options.logger.debug({ method: req.method, status: upstream.statusCode }, 'proxied');
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'proxy request failed');
      if (!res.headersSent)
        refuse(res, 502, 'BadGateway', 'the control plane could not be reached');
      else res.destroy();
    }
  }

  private forward(
    req: IncomingMessage,
    url: URL,
    headers: Record<string, string | string[]>,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const outgoing = send(url, { method: req.method, headers }, resolve);
      outgoing.on('error', reject);
      req.on('aborted', () => outgoing.destroy());
      pipeline(req, outgoing).catch(reject);
    });
  }

  private async relay(upstream: IncomingMessage, res: ServerResponse): Promise<void> {
    res.writeHead(upstream.statusCode ?? 502, relayedHeaders(upstream));
    await pipeline(upstream, res);
  }

  /**
   * A fetched secret's values are registered with the log masker before a single byte
   * reaches the task, so the task cannot print one faster than the masker learns it.
   */
  private async relaySecret(upstream: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of upstream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_SECRET_RESPONSE) throw new Error('secret response too large');
      chunks.push(chunk);
    }
    const body = Buffer.concat(chunks);
    const parsed = JSON.parse(body.toString('utf8')) as { secret?: unknown };
    for (const value of secretStrings(parsed.secret)) this.options.onSecretValue(value);
    this.options.onSecretValue(JSON.stringify(parsed.secret));
    res.writeHead(200, { ...relayedHeaders(upstream), 'content-length': String(body.length) });
    res.end(body);
  }
}

function relayedHeaders(upstream: IncomingMessage): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  return headers;
}

function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ code, message }));
}
