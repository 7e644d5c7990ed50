import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { TaskLog } from '../daemon/task-log.js';

export interface LiveLogServerOptions {
  /** Address to listen on; loopback unless clients on other machines must reach it. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Base URL clients use to reach this server, when it differs from http://host:port. */
  publicUrl?: string | undefined;
  logger: Logger;
}

/** A log published while its task runs; `retire` takes it down. */
export interface PublishedLog {
  url: string;
  retire(): void;
}

/** Connections one log may have at once; the rest are refused with 429. */
const MAX_READERS_PER_LOG = 32;
const TOKEN_PATTERN = /^\/log\/([A-Za-z0-9_-]{43})$/;

/**
 * Serves running tasks' logs as they are written, as Taskcluster's livelog does: the
 * queue's `public/logs/live.log` artifact is a reference to `<url>/log/<token>`. The
 * token (256 random bits) is the only capability, so it is never logged, dies with the
 * run, and the URL is only handed out through the queue, behind
 * `queue:get-artifact:public/logs/live.log`.
 */
export class LiveLogServer {
  private readonly logs = new Map<string, { log: TaskLog; readers: Set<AbortController> }>();
  private server: Server | undefined;
  private listening: Promise<string> | undefined;

  constructor(private readonly options: LiveLogServerOptions) {}

  /** Starts serving `log` (listening first if needed) and answers its URL. */
  async publish(log: TaskLog): Promise<PublishedLog> {
    const base = await (this.listening ??= this.listen());
    const token = randomBytes(32).toString('base64url');
    const entry = { log, readers: new Set<AbortController>() };
    this.logs.set(token, entry);
    return {
      url: `${base}/log/${token}`,
      // Readers already attached read on to the end of the (closed) log.
      retire: () => this.logs.delete(token),
    };
  }

  async close(): Promise<void> {
    for (const { readers } of this.logs.values()) for (const reader of readers) reader.abort();
    this.logs.clear();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async listen(): Promise<string> {
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return (this.options.publicUrl ?? `http://${host}:${port}`).replace(/\/+$/, '');
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-content-type-options', 'nosniff');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const token = TOKEN_PATTERN.exec(req.url ?? '')?.[1];
    const entry = token === undefined ? undefined : this.logs.get(token);
    if (!entry) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such live log\n');
      return;
    }
    if (entry.readers.size >= MAX_READERS_PER_LOG) {
      res.writeHead(429, { 'content-type': 'text/plain' }).end('too many readers\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const reader = new AbortController();
    entry.readers.add(reader);
    res.on('close', () => reader.abort());
    void this.stream(entry.log, res, reader.signal).finally(() => entry.readers.delete(reader));
  }

  private async stream(log: TaskLog, res: ServerResponse, signal: AbortSignal): Promise<void> {
    try {
      for await (const chunk of log.follow(signal)) {
        if (!res.write(chunk)) {
          await new Promise<void>((resolve) => {
            res.once('drain', resolve);
            signal.addEventListener('abort', () => resolve(), { once: true });
          });
        }
        if (signal.aborted) break;
      }
      res.end();
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'live log stream failed');
      res.destroy();
    }
  }
}
