import { readdir } from 'node:fs/promises';
import type { ExecutionRequest, Executor } from '../engine.js';
import { runThrough } from '../engine-contract.js';
import { runTool } from '../run-tool.js';
import { leftoverPatterns } from './names.js';

/**
 * A client inside the sandbox: one line per target, what a TCP connection to it gave
 * (the first bytes the server sent, or `refused-<errno>`). `gateway` stands for the
 * task's gateway, the host's end of its veth pair; the target `gateway?` prints its
 * address instead. With `--wait FILE` it first waits
 * (at most 20 s) until FILE exists in the task directory, then probes; with `--linger`
 * it sleeps for a minute after printing, so that only the worker can end it.
 */
export const CLIENT = `
import os, socket, sys, time
def tcp(host, port):
    try:
        s = socket.create_connection((host, int(port)), timeout=3)
        return s.recv(64).decode() or "empty"
    except OSError as e:
        return "refused-%s" % (e.errno or "timeout")
def gateway():
    # The task has no default route: one route per listed address, through its gateway.
    for line in open("/proc/net/route").read().splitlines()[1:]:
        f = line.split()
        if int(f[3], 16) & 2:
            return socket.inet_ntoa(bytes.fromhex(f[2])[::-1])
    return "none"
args = sys.argv[1:]
linger = "--linger" in args
args = [a for a in args if a != "--linger"]
if args[:1] == ["--wait"]:
    print("waiting", flush=True)
    for _ in range(200):
        if os.path.exists(args[1]): break
        time.sleep(0.1)
    args = args[2:]
for target in args:
    if target == "gateway?":
        print(target, gateway(), flush=True)
        continue
    host, port = target.rsplit(":", 1)
    if host == "gateway": host = gateway()
    print(target, tcp(host, port), flush=True)
if linger:
    time.sleep(60)
`;

export function allowlist(...entries: [string, number][]): Partial<ExecutionRequest> {
  return {
    network: { mode: 'allowlist', allow: entries.map(([host, port]) => ({ host, port })) },
  };
}

/** Runs CLIENT over `targets` in the engine; `seen` maps each target to what it gave. */
export async function probe(
  engine: Executor,
  scratch: string,
  targets: string[],
  overrides: Partial<ExecutionRequest>,
) {
  const r = await runThrough(
    engine,
    scratch,
    [['/usr/bin/python3', '-c', CLIENT, ...targets]],
    overrides,
  );
  return { ...r, seen: outcomes(r.stdout) };
}

export function outcomes(stdout: string): Map<string, string> {
  const seen = new Map<string, string>();
  for (const line of stdout.trim().split('\n')) {
    const [target, outcome] = line.split(' ');
    if (target !== undefined && outcome !== undefined) seen.set(target, outcome);
  }
  return seen;
}

/** Network objects (namespaces, host veths, host tables) carrying this network tag. */
export async function networkLeftovers(tag: string): Promise<string[]> {
  const patterns = leftoverPatterns(tag);
  const found = [
    ...(await readdir('/run/netns').catch(() => [])).filter((n) => patterns.netns.test(n)),
    ...(await readdir('/sys/class/net')).filter((n) => patterns.hostVeth.test(n)),
  ];
  const tables = await runTool('nft', ['list', 'tables']);
  for (const line of tables.split('\n')) {
    const name = line.split(' ').at(-1) ?? '';
    if (patterns.table.test(name)) found.push(name);
  }
  return found;
}
