import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { runTool } from '../run-tool.js';

/** The two ports the probe destination serves: one the probe task lists, one it does not. */
export const PROBE_PORTS = { listed: 7070, unlisted: 7071 } as const;

/** The probe destination's namespace and veth, named by the worker's network tag. */
export function probeNames(tag: string): { netns: string; hostVeth: string } {
  return { netns: `bw-${tag}-probe`, hostVeth: `bw${tag}probe` };
}

const SERVERS = `
const net = require('node:net');
let pending = 2;
const ready = () => { if (--pending === 0) console.log('ready'); };
net.createServer((s) => s.end('listed')).listen(${PROBE_PORTS.listed}, '0.0.0.0', ready);
net.createServer((s) => s.end('unlisted')).listen(${PROBE_PORTS.unlisted}, '0.0.0.0', ready);
// Gone with the worker, even if it dies without close().
process.stdin.on('end', () => process.exit(0)).resume();
`;

/** 198.19.0.0/16 (reserved for benchmarking, never on the internet), in /30 subnets. */
const SUBNETS = 16384;
const subnet = (index: number): { host: string; probe: string } => {
  const base = (198 << 24) | (19 << 16) | (index * 4);
  const text = (value: number): string =>
    [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
  return { host: text(base + 1), probe: text(base + 2) };
};

/**
 * A host for the self-test's allowlist probe (S9) that never leaves the worker host: a
 * network namespace of the worker's own, joined by a veth pair in 198.19.0.0/16 and
 * serving two TCP ports. The probe task lists one; it must reach that one and be
 * refused the other and the worker host. Named by the worker's network tag, so a crash's
 * leftovers are found by recovery; removed by close().
 */
export class ProbeDestination {
  private constructor(
    readonly netns: string,
    readonly hostVeth: string,
    /** The destination's address. */
    readonly address: string,
    private readonly server: ChildProcess,
  ) {}

  static async create(tag: string): Promise<ProbeDestination> {
    const { netns, hostVeth } = probeNames(tag);
    await removeProbeDestination(tag);
    const used = new Set(
      Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address)),
    );
    let index = Number.parseInt(tag, 16) % SUBNETS;
    for (let i = 0; i < SUBNETS && used.has(subnet(index).host); i++) index = (index + 1) % SUBNETS;
    const { host, probe } = subnet(index);
    let server: ChildProcess | undefined;
    try {
      await runTool(
        'ip',
        ['-batch', '-'],
        [
          `netns add ${netns}`,
          `link add ${hostVeth} type veth peer name eth0 netns ${netns}`,
          `link set ${hostVeth} addrgenmode none`,
          `addr add ${host}/30 dev ${hostVeth}`,
          `link set ${hostVeth} up`,
          '',
        ].join('\n'),
      );
      // The replies to the probe task arrive here and are forwarded back to it.
      await writeFile(`/proc/sys/net/ipv4/conf/${hostVeth}/forwarding`, '1');
      await runTool(
        'ip',
        ['-n', netns, '-batch', '-'],
        [`addr add ${probe}/30 dev eth0`, 'link set eth0 up', 'link set lo up', ''].join('\n'),
      );
      const started = spawn(
        'nsenter',
        [`--net=/run/netns/${netns}`, '--', process.execPath, '-e', SERVERS],
        { stdio: ['pipe', 'pipe', 'ignore'] },
      );
      server = started;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve, reject) => {
        const failed = (): void => reject(new Error('the probe destination did not start'));
        timer = setTimeout(failed, 10_000);
        started.once('error', reject);
        started.once('exit', failed);
        started.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
          if (chunk.includes('ready')) resolve();
        });
      }).finally(() => clearTimeout(timer));
      return new ProbeDestination(netns, hostVeth, probe, started);
    } catch (err) {
      server?.kill('SIGKILL');
      await removeProbeDestination(tag);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.server.kill('SIGKILL');
    await runTool(
      'ip',
      ['-force', '-batch', '-'],
      `link del ${this.hostVeth}\nnetns del ${this.netns}\n`,
    ).catch(() => undefined);
  }
}

/** Removes a probe destination a crashed worker left; true when there was one. */
export async function removeProbeDestination(tag: string): Promise<boolean> {
  const { netns, hostVeth } = probeNames(tag);
  const existed = existsSync(`/run/netns/${netns}`) || existsSync(`/sys/class/net/${hostVeth}`);
  if (existed) {
    await runTool(
      'ip',
      ['-force', '-batch', '-'],
      `link del ${hostVeth}\nnetns del ${netns}\n`,
    ).catch(() => undefined);
  }
  return existed;
}
