import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { createServer, connect as tcpConnect, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';

/** The broker itself, not the Debian wrapper, which would switch to the rabbitmq user and lose our environment. */
const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

export interface TestBroker {
  /** `amqp://bulwark:<password>@127.0.0.1:<port>/`. */
  readonly url: string;
  readonly password: string;
  /** Milliseconds each start took until the broker accepted an AMQP connection. */
  readonly startTimes: number[];
  /** Starts the broker again on the same port and data after stop(). */
  start(): Promise<void>;
  /** Stops the broker (epmd stays, for a restart). */
  stop(): Promise<void>;
  /** Stops the broker and epmd and deletes everything. Never throws. */
  close(): Promise<void>;
}

/** Distinct free loopback ports, held open together so none is handed out twice. */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      servers.push(server);
    }
    return servers.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `done` settled within `ms`; the timer does not keep the process alive after. */
async function within(done: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([done.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Keeps the last lines a child printed, for the message when it fails. */
function tail(child: ChildProcess): () => string {
  let text = '';
  const keep = (chunk: Buffer): void => {
    text = (text + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Signals a child's whole process group (the broker script, beam and its helpers). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * A private RabbitMQ broker for one test file: loopback only, on free ports, with its
 * own epmd, Erlang cookie, node name, data and logs under one temporary directory, and
 * a user whose password only this run knows. Nothing from /etc/rabbitmq is read.
 */
export async function startTestBroker(): Promise<TestBroker> {
  try {
    await access(RABBITMQ_SERVER, constants.X_OK);
  } catch {
    throw new Error(
      `${RABBITMQ_SERVER} is missing: run scripts/system-packages.sh as root (apt-get install rabbitmq-server)`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'bulwark-amqp-'));
  const [nodePort, distPort, epmdPort] = (await freePorts(3)) as [number, number, number];
  const home = join(dir, 'home');
  await mkdir(home, { mode: 0o700 });
  const cookie = join(home, '.erlang.cookie');
  await writeFile(cookie, randomBytes(16).toString('hex').toUpperCase());
  await chmod(cookie, 0o400);
  const password = randomBytes(12).toString('hex');
  const configFile = join(dir, 'rabbitmq.conf');
  await writeFile(
    configFile,
    [
      'default_user = bulwark',
      `default_pass = ${password}`,
      // Test machines can be short of disk; the default alarm would block publishing.
      'disk_free_limit.absolute = 1MB',
      '',
    ].join('\n'),
  );
  await writeFile(join(dir, 'enabled_plugins'), '');
  await writeFile(join(dir, 'rabbitmq-env.conf'), '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    HOME: home,
    RABBITMQ_NODENAME: `bulwark-test-${process.pid}-${randomBytes(4).toString('hex')}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(nodePort),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: configFile,
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
    // Erlang distribution, too, listens on loopback only.
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ERL_EPMD_PORT: String(epmdPort),
  };

  // Our own epmd, in the foreground on a port of its own: Erlang would otherwise
  // start a daemon that outlives the test, or share the system's.
  const epmd = spawn('epmd', ['-port', String(epmdPort), '-address', '127.0.0.1'], {
    env,
    stdio: 'ignore',
  });
  let broker: ChildProcess | undefined;
  const emergency = (): void => {
    if (broker) signalGroup(broker, 'SIGKILL');
    epmd.kill('SIGKILL');
  };
  process.once('exit', emergency);

  const url = `amqp://bulwark:${password}@127.0.0.1:${nodePort}/`;
  const startTimes: number[] = [];

  const start = async (): Promise<void> => {
    const started = performance.now();
    for (;;) {
      if (await accepts(epmdPort)) break;
      if (epmd.exitCode !== null || performance.now() - started > 10_000) {
        throw new Error(`epmd did not start on 127.0.0.1:${epmdPort}`);
      }
      await sleep(50);
    }
    const child = spawn(RABBITMQ_SERVER, [], {
      env,
      cwd: dir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    broker = child;
    const output = tail(child);
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`rabbitmq-server exited while starting:\n${output()}`);
      }
      if (performance.now() - started > START_TIMEOUT_MS) {
        signalGroup(child, 'SIGKILL');
        throw new Error(`rabbitmq-server did not accept connections within 60 s:\n${output()}`);
      }
      if (await accepts(nodePort)) {
        try {
          const connection = await amqp.connect(url, { timeout: 2000 });
          await connection.close();
          break;
        } catch {
          // Listening, but not booted yet.
        }
      }
      await sleep(100);
    }
    startTimes.push(Math.round(performance.now() - started));
  };

  const stop = async (): Promise<void> => {
    const child = broker;
    if (!child) return;
    broker = undefined;
    signalGroup(child, 'SIGTERM');
    const done = exited(child);
    if (!(await within(done, STOP_TIMEOUT_MS))) {
      signalGroup(child, 'SIGKILL');
      await done;
    }
    // The script's trap returns before beam is gone: wait for the port to close.
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while ((await accepts(nodePort)) && Date.now() < deadline) await sleep(100);
  };

  try {
    await start();
  } catch (err) {
    emergency();
    process.removeListener('exit', emergency);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    url,
    password,
    startTimes,
    start,
    stop,
    async close() {
      await stop().catch(() => undefined);
      epmd.kill('SIGTERM');
      if (!(await within(exited(epmd), 5000))) epmd.kill('SIGKILL');
      process.removeListener('exit', emergency);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
