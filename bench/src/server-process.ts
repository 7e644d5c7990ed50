import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  rootUrl: string;
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
  const pinned = spawnSync('taskset', ['--version']).status === 0;
  const args = [cli, 'serve', '--data-dir', dataDir, '--port', '0'];
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
  return {
    rootUrl,
    root,
    pinnedToCore: pinned,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
