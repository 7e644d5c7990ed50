import net from 'node:net';
import { networkInterfaces } from 'node:os';

/** One connection the victim received: the attack it names, and where it came in. */
export interface Hit {
  /** The attack, from `/6/<method>` anywhere in what the connection sent first. */
  method: string;
  /** `tcp <local address>` or `abstract-unix`. */
  via: string;
}

const MAX_HITS = 200;
const MAX_FIRST_BYTES = 512;
const BANNER = 'bulwark-exercise-victim';

/**
 * The "other host" of goal 6, on this machine only: a TCP listener on every address of
 * this machine (one port, both families) and a listener in the abstract unix namespace
 * of the exercise's network namespace. Each records which attack reached it (the
 * request names it: `/6/<method>`), answers a short banner, and closes. It only listens:
 * the exercise sends nothing to it. Bounded: at most 200 hits, 512 bytes read from each.
 */
export class HostVictim {
  readonly hits: Hit[] = [];
  private readonly tcp = net.createServer((socket) => this.receive(socket, 'tcp'));
  private readonly unix = net.createServer((socket) => this.receive(socket, 'abstract-unix'));
  private port = 0;
  readonly abstractName: string;

  constructor(runId: string) {
    this.abstractName = `bulwark-exercise-${runId}-victim`;
  }

  async listen(): Promise<{ port: number; abstractName: string }> {
    await new Promise<void>((done, fail) => {
      this.tcp.once('error', fail);
      // Every address of this machine, both families: the task may learn any of them.
      this.tcp.listen({ port: 0, host: '::', ipv6Only: false }, done);
    }).catch(
      () =>
        new Promise<void>((done, fail) => {
          this.tcp.once('error', fail);
          this.tcp.listen({ port: 0, host: '0.0.0.0' }, done);
        }),
    );
    this.port = (this.tcp.address() as net.AddressInfo).port;
    await new Promise<void>((done, fail) => {
      this.unix.once('error', fail);
      this.unix.listen(`\0${this.abstractName}`, done);
    });
    return { port: this.port, abstractName: this.abstractName };
  }

  /** Which attacks reached it. */
  reached(method: string): Hit[] {
    return this.hits.filter((hit) => hit.method === method);
  }

  async close(): Promise<void> {
    for (const server of [this.tcp, this.unix]) {
      if (!server.listening) continue;
      await new Promise((done) => server.close(done));
    }
  }

  private receive(socket: net.Socket, kind: 'tcp' | 'abstract-unix'): void {
    let first = '';
    socket.setTimeout(5000, () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      if (first.length >= MAX_FIRST_BYTES) return;
      first += chunk.toString('latin1').slice(0, MAX_FIRST_BYTES - first.length);
      if (!first.includes('\n') && first.length < MAX_FIRST_BYTES) return;
      const method = /\/6\/([a-z-]{1,40})/.exec(first)?.[1] ?? 'unnamed';
      const via = kind === 'tcp' ? `tcp ${socket.localAddress ?? '?'}` : kind;
      if (this.hits.length < MAX_HITS) this.hits.push({ method, via });
      socket.end(`HTTP/1.0 200 OK\r\ncontent-length: ${BANNER.length}\r\n\r\n${BANNER}`);
      first = '\0'.repeat(MAX_FIRST_BYTES);
    });
  }
}

/**
 * This machine's own addresses: the only ones a task may be told to connect to (a
 * task that learns another address, a gateway say, reports the route and sends nothing).
 */
export function ownAddresses(): string[] {
  const found = new Set(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) {
      // Link-local IPv6 needs a zone; a task cannot name this machine's zones anyway.
      if (entry.family === 'IPv6' && entry.address.toLowerCase().startsWith('fe80')) continue;
      found.add(entry.address);
    }
  }
  return [...found];
}

/** Whether the deployment's workers can share this machine (where the victim listens). */
export function deploymentIsLocal(rootUrl: string): boolean {
  const host = new URL(rootUrl).hostname;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(host);
}
