import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { runTool } from '../run-tool.js';

/** What the destination namespace serves, as the task's allowlist will name it. */
export const PORTS = { allowed: 7000, unlisted: 7001, udp: 7002, metadata: 80 } as const;

const SERVERS = (metadata: string): string => `
const net = require('node:net'), dgram = require('node:dgram');
let pending = 4;
const ready = () => { if (--pending === 0) console.log('ready'); };
const serve = (port, host, word) => net.createServer((s) => s.end(word)).listen(port, host, ready);
serve(${PORTS.allowed}, '0.0.0.0', 'allowed');
serve(${PORTS.unlisted}, '0.0.0.0', 'unlisted');
serve(${PORTS.metadata}, '${metadata}', 'metadata');
const udp = dgram.createSocket('udp4');
udp.on('message', () => console.log('udp'));
udp.bind(${PORTS.udp}, '0.0.0.0', ready);
// Gone with the test process, even if it dies without close().
process.stdin.on('end', () => process.exit(0)).resume();
`;

/**
 * A stand-in for "another host" that never leaves this machine: a network namespace
 * the test creates, joined to the host by a veth pair in 198.18.0.0/15 (the range
 * reserved for benchmarking; an address on the worker's own link), serving TCP and UDP
 * ports. Two more addresses of it are routed through that link:
 * - `metadataAddress`, in 169.254.250.0/24, a metadata-style link-local address;
 * - `publicAddress`, in 203.0.113.0/24 (reserved for documentation), which the worker
 *   host reaches through a router, as it reaches public hosts;
 * - `neighbourAddress`, in 198.51.100.0/24 (documentation too), on the link itself: a
 *   host of the worker's own network with an address that looks public.
 * Every instance picks a subnet no interface of the host uses, so test files running
 * at the same time do not collide. Everything it creates is removed by close().
 */
export class TestDestination {
  /** UDP datagrams the destination received. */
  udpPackets = 0;
  private constructor(
    readonly netns: string,
    readonly hostVeth: string,
    /** The host's address on the test link (one of the worker host's own addresses). */
    readonly hostAddress: string,
    /** The destination's address on that link. */
    readonly address: string,
    readonly metadataAddress: string,
    readonly publicAddress: string,
    readonly neighbourAddress: string,
    private readonly servers: ChildProcess,
  ) {}

  static async create(seed: number): Promise<TestDestination> {
    const used = new Set(
      Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address)),
    );
    let n = (seed % 250) + 1;
    for (
      let i = 0;
      i < 250 && (used.has(`198.18.${n}.1`) || existsSync(`/run/netns/bwtest-${n}`));
      i++
    ) {
      n = (n % 250) + 1;
    }
    const netns = `bwtest-${n}`;
    const hostVeth = `bwt${n}`;
    const hostAddress = `198.18.${n}.1`;
    const address = `198.18.${n}.2`;
    const metadataAddress = `169.254.250.${n}`;
    const publicAddress = `203.0.113.${n}`;
    const neighbourAddress = `198.51.100.${n}`;
    await TestDestination.remove(netns, hostVeth);
    await runTool(
      'ip',
      ['-batch', '-'],
      [
        `netns add ${netns}`,
        `link add ${hostVeth} type veth peer name eth0 netns ${netns}`,
        `addr add ${hostAddress}/30 dev ${hostVeth}`,
        `link set ${hostVeth} up`,
        `route replace ${metadataAddress}/32 via ${address} dev ${hostVeth}`,
        `route replace ${publicAddress}/32 via ${address} dev ${hostVeth}`,
        `route replace ${neighbourAddress}/32 dev ${hostVeth}`,
        '',
      ].join('\n'),
    ).catch(async (err: unknown) => {
      await TestDestination.remove(netns, hostVeth);
      throw err;
    });
    // Replies from the destination arrive on this link and are forwarded to the task.
    await writeFile(`/proc/sys/net/ipv4/conf/${hostVeth}/forwarding`, '1');
    await runTool(
      'ip',
      ['-n', netns, '-batch', '-'],
      [
        `addr add ${address}/30 dev eth0`,
        `addr add ${metadataAddress}/32 dev lo`,
        `addr add ${publicAddress}/32 dev lo`,
        `addr add ${neighbourAddress}/32 dev eth0`,
        'link set lo up',
        'link set eth0 up',
        '',
      ].join('\n'),
    );
    const servers = spawn(
      'nsenter',
      [`--net=/run/netns/${netns}`, '--', process.execPath, '-e', SERVERS(metadataAddress)],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const destination = new TestDestination(
      netns,
      hostVeth,
      hostAddress,
      address,
      metadataAddress,
      publicAddress,
      neighbourAddress,
      servers,
    );
    await new Promise<void>((resolve, reject) => {
      let buffer = '';
      servers.once('exit', () => reject(new Error('the test servers did not start')));
      servers.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        buffer += chunk;
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) {
          if (line === 'ready') resolve();
          if (line === 'udp') destination.udpPackets++;
        }
      });
    });
    return destination;
  }

  async close(): Promise<void> {
    this.servers.kill('SIGKILL');
    await TestDestination.remove(this.netns, this.hostVeth);
  }

  private static async remove(netns: string, hostVeth: string): Promise<void> {
    await runTool(
      'ip',
      ['-force', '-batch', '-'],
      `link del ${hostVeth}\nnetns del ${netns}\n`,
    ).catch(() => undefined);
  }
}
