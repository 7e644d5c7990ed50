import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { runTool } from '../run-tool.js';

/** What the destination namespace serves, as the task's allowlist will name it. */
export const PORTS = { allowed: 7000, unlisted: 7001, udp: 7002 } as const;
/** A metadata-style link-local address, served from the test's own namespace. */
export const METADATA = { address: '169.254.250.254', port: 80 } as const;

const SERVERS = `
const net = require('node:net'), dgram = require('node:dgram');
let pending = 4;
const ready = () => { if (--pending === 0) console.log('ready'); };
const serve = (port, host, word) => net.createServer((s) => s.end(word)).listen(port, host, ready);
serve(${PORTS.allowed}, '0.0.0.0', 'allowed');
serve(${PORTS.unlisted}, '0.0.0.0', 'unlisted');
serve(${METADATA.port}, '${METADATA.address}', 'metadata');
const udp = dgram.createSocket('udp4');
udp.on('message', () => console.log('udp'));
udp.bind(${PORTS.udp}, '0.0.0.0', ready);
`;

/**
 * A stand-in for "another host" that never leaves this machine: a network namespace
 * the test creates, joined to the host by a veth pair in 198.18.0.0/15 (the range
 * reserved for benchmarking), serving TCP and UDP ports and a metadata-style
 * link-local address routed through it. Everything it creates is removed by close().
 */
export class TestDestination {
  /** UDP datagrams the destination received. */
  udpPackets = 0;
  private constructor(
    readonly netns: string,
    readonly hostVeth: string,
    /** The host's address on the test link (one of the worker host's own addresses). */
    readonly hostAddress: string,
    /** The destination's address. */
    readonly address: string,
    private readonly servers: ChildProcess,
  ) {}

  static async create(id: number): Promise<TestDestination> {
    const netns = `bwtest-${id}`;
    const hostVeth = `bwt${id}`;
    const subnet = `198.18.${(id % 250) + 1}`;
    const hostAddress = `${subnet}.1`;
    const address = `${subnet}.2`;
    await TestDestination.remove(netns, hostVeth);
    await runTool(
      'ip',
      ['-batch', '-'],
      [
        `netns add ${netns}`,
        `link add ${hostVeth} type veth peer name eth0 netns ${netns}`,
        `addr add ${hostAddress}/30 dev ${hostVeth}`,
        `link set ${hostVeth} up`,
        `route replace ${METADATA.address}/32 via ${address} dev ${hostVeth}`,
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
        `addr add ${METADATA.address}/32 dev lo`,
        'link set lo up',
        'link set eth0 up',
        '',
      ].join('\n'),
    );
    const servers = spawn(
      'nsenter',
      [`--net=/run/netns/${netns}`, '--', process.execPath, '-e', SERVERS],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const destination = new TestDestination(netns, hostVeth, hostAddress, address, servers);
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
