import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import taskcluster from 'taskcluster-client';
import { createTestDatabase, type TestDatabase } from '@bulwark/server/testing';

// S13: a Hawk request signed by taskcluster-client and captured on its way is
// accepted once by the whole control plane. Each server here is a real `bulwark
// serve` process; they are stopped gracefully, or killed with SIGKILL right after
// answering, and started again on the same database.

const bin = resolve(fileURLToPath(import.meta.url), '../../../bin/bulwark.js');
let scratch: string;
let database: TestDatabase;
const keyringJson = JSON.stringify({
  keys: [{ id: 'replay-test', key: randomBytes(32).toString('base64') }],
});
const running = new Set<Serve>();

interface Serve {
  readonly child: ChildProcess;
  readonly rootUrl: string;
  readonly exited: Promise<void>;
}

/** The environment of a clean shell: no setting leaks in from the test run. */
const cleanEnv = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  BULWARK_LOG_LEVEL: 'warn',
  ...extra,
});

/**
 * Starts `bulwark serve` in its own process group (so that a kill reaches its
 * embedded PostgreSQL too) and waits until it is ready.
 */
async function serve(args: string[], env: NodeJS.ProcessEnv): Promise<Serve> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], {
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let output = '';
  const rootUrl = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`not ready in 60 s:\n${output}`)), 60_000);
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /running at (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        done(match[1]);
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    void exited.then(() => {
      clearTimeout(timer);
      fail(new Error(`bulwark serve exited before it was ready:\n${output}`));
    });
  });
  const started = { child, rootUrl, exited };
  running.add(started);
  void exited.then(() => running.delete(started));
  return started;
}

/** A graceful stop, as systemd or Ctrl-C asks for one. */
async function stopGracefully(server: Serve): Promise<void> {
  server.child.kill('SIGTERM');
  await server.exited;
}

/**
 * SIGKILL to the server's whole process group: no shutdown step runs. With the
 * embedded database, its PostgreSQL dies the same way (as when systemd kills the
 * unit's cgroup after its stop timeout, or the machine loses power), and the next
 * start goes through crash recovery, which empties UNLOGGED tables.
 */
async function killHard(server: Serve, dataDir?: string): Promise<void> {
  const postmasterPid = dataDir ? await readPostmasterPid(dataDir) : undefined;
  process.kill(-server.child.pid!, 'SIGKILL');
  await server.exited;
  if (postmasterPid !== undefined) {
    // Kill it by its id as well, should it have left the group; then wait until it is gone.
    try {
      process.kill(postmasterPid, 'SIGKILL');
    } catch {
      // Already gone with the group.
    }
    for (let i = 0; i < 200 && isAlive(postmasterPid); i++) await sleep(25);
    assert.ok(!isAlive(postmasterPid), 'the embedded PostgreSQL survived SIGKILL');
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function readPostmasterPid(dataDir: string): Promise<number> {
  const text = await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8');
  return Number(text.split('\n')[0]);
}

/**
 * A load balancer in front of the replicas, on loopback: clients sign requests for
 * its address, it forwards each to the current backend with the port the client
 * signed for, and it keeps a copy of every Authorization header it forwards, as an
 * attacker on the path would.
 */
interface Balancer {
  readonly rootUrl: string;
  backend: string;
  readonly captured: { method: string; path: string; authorization: string }[];
  /** The attacker: sends a captured request again, byte for byte, to the current backend (not captured itself). */
  replay(index: number): Promise<{ status: number; code: string; message: string }>;
  close(): Promise<void>;
}

async function startBalancer(): Promise<Balancer> {
  const captured: Balancer['captured'] = [];
  let port = 0;
  const forward = (method: string, path: string, authorization: string): Promise<Response> =>
    fetch(`${balancer.backend}${path}`, {
      method,
      headers: { authorization, 'x-forwarded-port': String(port) },
    });
  const server: Server = createServer((req, res) => {
    const authorization = req.headers.authorization ?? '';
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    captured.push({ method, path, authorization });
    // The test's requests carry no body (GET).
    req.resume();
    forward(method, path, authorization).then(
      async (answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(Buffer.from(await answer.arrayBuffer()));
      },
      () => {
        res.writeHead(502);
        res.end();
      },
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  port = (server.address() as AddressInfo).port;
  const balancer: Balancer = {
    rootUrl: `http://127.0.0.1:${port}`,
    backend: '',
    captured,
    async replay(index) {
      const request = captured[index];
      assert.ok(request, `no request ${index} was captured`);
      const res = await forward(request.method, request.path, request.authorization);
      const body = (await res.json()) as { code?: string; message?: string };
      return { status: res.status, code: body.code ?? '', message: body.message ?? '' };
    },
    close: () => new Promise((done) => server.close(() => done())),
  };
  return balancer;
}

async function assertRefusedAsReplay(balancer: Balancer, index: number): Promise<void> {
  const replay = await balancer.replay(index);
  assert.equal(replay.status, 401, `replay of request ${index} was answered ${replay.status}`);
  assert.equal(replay.code, 'AuthenticationFailed');
  assert.match(replay.message, /already used \(replay\)/);
}

async function rootOf(dataDir: string): Promise<{ clientId: string; accessToken: string }> {
  return JSON.parse(await readFile(join(dataDir, 'root-credentials.json'), 'utf8'));
}

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bulwark-replay-'));
  // The embedded PostgreSQL runs as its own user, which must pass through here.
  await chmod(scratch, 0o711);
  database = await createTestDatabase();
});
after(async () => {
  for (const server of running) await killHard(server);
  await database.drop();
  await rm(scratch, { recursive: true, force: true });
});

test('S13: with the embedded database, a request captured before a restart is refused after it, also after SIGKILL', async () => {
  const dataDir = join(scratch, 'embedded');
  const balancer = await startBalancer();
  try {
    let server = await serve(['--data-dir', dataDir], {});
    balancer.backend = server.rootUrl;
    const auth = new taskcluster.Auth({
      rootUrl: balancer.rootUrl,
      credentials: await rootOf(dataDir),
      retries: 0,
    });
    await auth.currentScopes!();
    assert.equal(balancer.captured.length, 1);

    // A graceful restart.
    await stopGracefully(server);
    server = await serve(['--data-dir', dataDir], {});
    balancer.backend = server.rootUrl;
    await assertRefusedAsReplay(balancer, 0);

    // Killed right after answering, with its PostgreSQL: nothing is shut down.
    await auth.currentScopes!();
    assert.equal(balancer.captured.length, 2);
    await killHard(server, dataDir);
    server = await serve(['--data-dir', dataDir], {});
    balancer.backend = server.rootUrl;
    await assertRefusedAsReplay(balancer, 1);
    await assertRefusedAsReplay(balancer, 0);
    // The platform itself works: fresh requests are accepted.
    await auth.currentScopes!();
    await stopGracefully(server);
  } finally {
    await balancer.close();
  }
});

test('S13: on a shared database, a replay is refused after SIGKILL, by another replica and by a split process', async () => {
  const env = { BULWARK_DATABASE_URL: database.connectionString, BULWARK_KEYRING: keyringJson };
  const balancer = await startBalancer();
  try {
    const firstDir = join(scratch, 'replica-1');
    let first = await serve(['--data-dir', firstDir], env);
    balancer.backend = first.rootUrl;
    const credentials = await rootOf(firstDir);
    const auth = new taskcluster.Auth({ rootUrl: balancer.rootUrl, credentials, retries: 0 });
    const queue = new taskcluster.Queue({ rootUrl: balancer.rootUrl, credentials, retries: 0 });
    await auth.currentScopes!();
    await queue.listTaskQueues!();
    assert.equal(balancer.captured.length, 2);

    // Killed with SIGKILL right after answering, then started again.
    await killHard(first);
    first = await serve(['--data-dir', firstDir], env);
    balancer.backend = first.rootUrl;
    await assertRefusedAsReplay(balancer, 0);
    await assertRefusedAsReplay(balancer, 1);

    // Another replica, running at the same time on the same database.
    const second = await serve(['--data-dir', join(scratch, 'replica-2')], env);
    balancer.backend = second.rootUrl;
    await assertRefusedAsReplay(balancer, 0);
    await auth.currentScopes!();
    balancer.backend = first.rootUrl;
    await assertRefusedAsReplay(balancer, 2);

    // A process serving only the queue authenticates from the same database.
    const queueOnly = await serve(
      ['--data-dir', join(scratch, 'queue-only'), '--service', 'queue'],
      env,
    );
    balancer.backend = queueOnly.rootUrl;
    await assertRefusedAsReplay(balancer, 1);
    await queue.listTaskQueues!();
    balancer.backend = second.rootUrl;
    await assertRefusedAsReplay(balancer, 3);

    await Promise.all([first, second, queueOnly].map(stopGracefully));
  } finally {
    await balancer.close();
  }
});
