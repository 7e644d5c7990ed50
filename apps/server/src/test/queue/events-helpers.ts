import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import hawk from 'hawk';

export interface Credentials {
  clientId: string;
  accessToken: string;
  certificate?: string;
}

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: any;
}

/** The Hawk `ext` taskcluster-client sends: the certificate and authorizedScopes. */
function extOf(credentials: Credentials, authorizedScopes?: string[]): string | undefined {
  const ext: Record<string, unknown> = {};
  if (credentials.certificate) ext.certificate = JSON.parse(credentials.certificate);
  if (authorizedScopes) ext.authorizedScopes = authorizedScopes;
  return Object.keys(ext).length > 0
    ? Buffer.from(JSON.stringify(ext)).toString('base64')
    : undefined;
}

const hawkCredentials = (c: Credentials): hawk.client.Credentials => ({
  id: c.clientId,
  key: c.accessToken,
  algorithm: 'sha256',
});

export function hawkHeader(
  url: string,
  credentials: Credentials,
  scopes?: string[],
  method = 'GET',
): string {
  const ext = extOf(credentials, scopes);
  return hawk.client.header(url, method, {
    credentials: hawkCredentials(credentials),
    ...(ext ? { ext } : {}),
  }).header;
}

/** A signed URL, as a browser's EventSource would be given. */
export function bewitUrl(url: string, credentials: Credentials, scopes?: string[]): string {
  const ext = extOf(credentials, scopes);
  const bewit = hawk.uri.getBewit(url, {
    credentials: hawkCredentials(credentials),
    ttlSec: 300,
    localtimeOffsetMsec: 0,
    ...(ext ? { ext } : {}),
  });
  return `${url}${url.includes('?') ? '&' : '?'}bewit=${bewit}`;
}

/**
 * A server-sent events reader, as small as EventSource: frames are split on blank
 * lines, comments are counted (heartbeats) and otherwise ignored. It has a socket of
 * its own (no agent) that close() destroys: fetch's pool would open a spare
 * connection after an abort, which holds the server's close for a minute.
 */
export class SseReader {
  comments = 0;
  ended = false;
  private buffer = '';
  private readonly frames: SseEvent[] = [];
  private wake: (() => void) | undefined;

  private constructor(
    private readonly req: ClientRequest,
    readonly response: IncomingMessage,
  ) {
    response.setEncoding('utf8');
    response.on('data', (text: string) => {
      this.take(text);
      this.wake?.();
    });
    const end = (): void => {
      this.ended = true;
      this.wake?.();
    };
    response.on('end', end);
    response.on('close', end);
    response.on('error', end);
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        { agent: false, headers: { accept: 'text/event-stream', ...headers } },
        (res) => resolve(new SseReader(req, res)),
      );
      req.on('error', reject);
      req.end();
    });
  }

  get status(): number {
    return this.response.statusCode ?? 0;
  }

  header(name: string): string {
    return String(this.response.headers[name.toLowerCase()] ?? '');
  }

  /** The next event, or an error after `timeoutMs`. */
  async next(timeoutMs = 10_000): Promise<SseEvent> {
    await this.readUntil(() => this.frames.length > 0 || this.ended, timeoutMs);
    const frame = this.frames.shift();
    if (!frame) throw new Error('the stream ended');
    return frame;
  }

  /** The next `count` events' names. */
  async names(count: number, timeoutMs = 10_000): Promise<string[]> {
    const names: string[] = [];
    while (names.length < count) names.push((await this.next(timeoutMs)).event);
    return names;
  }

  /** Waits until `check` holds (heartbeats seen, say); rejects after `timeoutMs`. */
  async readUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (this.ended) throw new Error('the stream ended');
      const ms = deadline - Date.now();
      if (ms <= 0) throw new Error('timed out waiting for the event stream');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
      });
    }
  }

  /** Resolves when the server ends the stream; rejects after `timeoutMs`. */
  async untilEnd(timeoutMs = 10_000): Promise<void> {
    await this.readUntil(() => this.ended, timeoutMs).catch((err: Error) => {
      if (!this.ended) throw err;
    });
  }

  close(): void {
    this.req.on('error', () => undefined);
    this.req.destroy();
  }

  private take(text: string): void {
    this.buffer += text;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const frame: { id?: string; event?: string; data?: string } = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments += 1;
        else if (line.startsWith('id: ')) frame.id = line.slice(4);
        else if (line.startsWith('event: ')) frame.event = line.slice(7);
        else if (line.startsWith('data: ')) frame.data = line.slice(6);
      }
      if (frame.data !== undefined) {
        this.frames.push({
          id: frame.id,
          event: frame.event ?? 'message',
          data: JSON.parse(frame.data),
        });
      }
    }
  }
}

/** Polls `check` until it holds, failing after `ms`. */
export async function eventually(
  check: () => boolean,
  ms = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
