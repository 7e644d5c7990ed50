import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import taskcluster from 'taskcluster-client';

const bin = resolve(fileURLToPath(import.meta.url), '../../../bin/bulwark.js');
let dataDir: string;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bulwark-serve-'));
});
after(() => rm(dataDir, { recursive: true, force: true }));

interface Running {
  child: ChildProcess;
  rootUrl: string;
  output: () => string;
}

async function serve(): Promise<Running> {
  const child = spawn(process.execPath, [bin, 'serve', '--data-dir', dataDir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const rootUrl = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 60 s:\n${output}`)), 60_000);
    const poll = setInterval(() => {
      const match = /running at (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        clearInterval(poll);
        resolveUrl(match[1]);
      }
    }, 50);
    child.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`exited with ${String(code)}:\n${output}`));
    });
  });
  return { child, rootUrl, output: () => output };
}

async function stop(running: Running): Promise<number | null> {
  const exited = new Promise<number | null>((r) => running.child.once('exit', (code) => r(code)));
  running.child.kill('SIGINT');
  return exited;
}

test('bulwark serve starts on the embedded database, bootstraps root, and stops cleanly', async () => {
  const running = await serve();
  const ping = await fetch(`${running.rootUrl}/api/auth/v1/ping`);
  assert.equal(ping.status, 200);

  const credentials = JSON.parse(await readFile(join(dataDir, 'root-credentials.json'), 'utf8'));
  assert.equal(credentials.rootUrl, running.rootUrl);
  const auth = new taskcluster.Auth({ rootUrl: running.rootUrl, credentials, retries: 0 });
  assert.deepEqual((await auth.currentScopes!()).scopes, ['*']);

  // S11: what the platform writes is private.
  for (const file of ['root-credentials.json', 'keyring.json', 'postgres-password']) {
    assert.equal((await stat(join(dataDir, file))).mode & 0o777, 0o600, file);
  }
  assert.equal((await stat(join(dataDir, 'postgres'))).mode & 0o777, 0o700);
  // S1: the token is in the credentials file and nowhere in the output.
  assert.ok(!running.output().includes(credentials.accessToken));
  assert.match(running.output(), /root-credentials\.json/);

  assert.equal(await stop(running), 0);
  await assert.rejects(stat(join(dataDir, 'postgres', 'postmaster.pid')), { code: 'ENOENT' });
});

test('a second start reuses the data directory and the root credentials', async () => {
  const before = JSON.parse(await readFile(join(dataDir, 'root-credentials.json'), 'utf8'));
  const running = await serve();
  try {
    const after = JSON.parse(await readFile(join(dataDir, 'root-credentials.json'), 'utf8'));
    assert.equal(after.accessToken, before.accessToken);
    const auth = new taskcluster.Auth({ rootUrl: running.rootUrl, credentials: after, retries: 0 });
    assert.deepEqual((await auth.currentScopes!()).scopes, ['*']);
  } finally {
    assert.equal(await stop(running), 0);
  }
});

test('bad arguments fail in one clear line', async () => {
  const child = spawn(process.execPath, [bin, 'serve', '--port', 'eighty'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  assert.equal(code, 2, 'a usage error');
  assert.match(stderr, /^bulwark: --port must be an integer/);
});
