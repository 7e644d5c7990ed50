import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { workerRunsDirectory } from '../commands/up.js';

const repository = resolve(fileURLToPath(import.meta.url), '../../../../..');

test('the README’s first command, `npm start`, brings the platform up and stops on Ctrl-C', async () => {
  const readme = await readFile(join(repository, 'README.md'), 'utf8');
  assert.match(readme, /^npm ci && npm start\b/m, 'the README still says npm start');
  const scratch = await mkdtemp(join(tmpdir(), 'bulwark-readme-'));
  // Private, like a clone under /root or `mktemp -d`: nothing here is loosened for anyone.
  await chmod(scratch, 0o700);
  // Its own process group, so Ctrl-C reaches npm, the shell and bulwark up alike.
  const started = spawn(
    'npm',
    ['start', '--', '--data-dir', join(scratch, 'data'), '--port', '0'],
    {
      cwd: repository,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BULWARK_LOG_LEVEL: 'warn' },
    },
  );
  const exited = new Promise<number | null>((done) => started.once('exit', (code) => done(code)));
  try {
    const rootUrl = await new Promise<string>((done, fail) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error(`npm start did not come up: ${out}`)), 120_000);
      started.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /running at (http:\/\/\S+)/.exec(out);
        if (match?.[1]) {
          clearTimeout(timer);
          done(match[1]);
        }
      });
      started.once('exit', (code) => fail(new Error(`npm start exited (${String(code)}): ${out}`)));
    });
    const ping = await fetch(`${rootUrl}/api/queue/v1/ping`);
    assert.equal(ping.status, 200);
    process.kill(-started.pid!, 'SIGINT');
    await exited;
  } finally {
    if (started.exitCode === null && started.signalCode === null) {
      try {
        process.kill(-started.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await exited;
    await rm(workerRunsDirectory(join(scratch, 'data')), { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  }
});
