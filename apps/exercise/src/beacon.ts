import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Beat {
  kind: string;
  at: number;
}

const MAX_BEATS = 2000;

/**
 * A listener on this machine's loopback that records the beats lingering processes send
 * (`GET /beat/<kind>/<n>`). It only listens: the exercise sends nothing to it. Bounded: it
 * keeps at most 2000 beats and answers each with an empty 204.
 */
export class Beacon {
  readonly beats: Beat[] = [];
  private readonly server = http.createServer((req, res) => {
    const match = /^\/beat\/([a-z-]{1,32})\/\d{1,4}$/.exec(req.url ?? '');
    if (match?.[1] && this.beats.length < MAX_BEATS)
      this.beats.push({ kind: match[1], at: Date.now() });
    res.writeHead(204).end();
  });

  async listen(): Promise<string> {
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((done) => this.server.close(done));
  }
}
