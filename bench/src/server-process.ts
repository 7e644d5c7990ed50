import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  rootUrl: string;
  /** The server's fresh data directory (its embedded PostgreSQL cluster lives in it); removed by stop(). */
  dataDir: string;
  /** The server's process id, for sampling its memory. */
  pid: number;
  /** CPU time (user + system) the server process has used so far, in microseconds. */
  cpuMicros(): Promise<number>;
  root: { clientId: string; accessToken: string };
  pinnedToCore: boolean;
  stop(): Promise<void>;
}

const cli = resolve(fileURLToPath(import.meta.url), '../../../apps/cli/bin/bulwark.js');

/**
 * Starts `bulwark serve` as its own process on a fresh data directory, pinned to
 * CPU 0 when `taskset` exists, so the load generator (this process) does not
 * compete with it for the measured core.
 */
export async function startServerProcess(): Promise<ServerProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-bench-'));
  // BENCH_PIN_SERVER=0 lets the server and its PostgreSQL use every core, as in a
  // deployment; pinned (the default) keeps the load generator off the measured core.
  const pinned =
    process.env.BENCH_PIN_SERVER !== '0' && spawnSync('taskset', ['--version']).status === 0;
  // BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=DIR' profiles the server under load.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const args = [...nodeArgs, cli, 'serve', '--data-dir', dataDir, '--port', '0'];
  const child: ChildProcess = pinned
    ? spawn('taskset', ['-c', '0', process.execPath, ...args], {
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...process.env, BULWARK_LOG_LEVEL: 'warn' },
      })
    : spawn(process.execPath, args, {
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...process.env, BULWARK_LOG_LEVEL: 'warn' },
      });
  const rootUrl = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('server did not start within 60 s')), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /running at (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${String(code)}`)));
  });
  const root = JSON.parse(await readFile(join(dataDir, 'root-credentials.json'), 'utf8')) as {
    clientId: string;
    accessToken: string;
  };
  const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim() || 100);
  // The server is the node process itself, or taskset's child once it exec'd node (same pid).
  const pid = child.pid ?? 0;
  return {
    rootUrl,
    dataDir,
    pid,
    root,
    async cpuMicros() {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1e6;
    },
    pinnedToCore: pinned,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
