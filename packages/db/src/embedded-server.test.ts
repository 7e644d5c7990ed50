import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded-server.js';

const runningAsRoot = process.getuid?.() === 0;

async function query<T extends pg.QueryResultRow>(
  connectionString: string,
  sql: string,
): Promise<T[]> {
  const client = new pg.Client(connectionString);
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The connection parameters exactly as pg reads them from the string. */
function parse(connectionString: string): pg.Client {
  return new pg.Client(connectionString);
}

function socketDirOf(server: EmbeddedServer): string {
  const host = parse(server.connectionString).host;
  assert.ok(host?.startsWith('/'), 'the connection goes through a unix socket directory');
  return host;
}

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

void describe('a running embedded server', () => {
  let dataDir: string;
  let server: EmbeddedServer;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bulwark-db-test-'));
    server = await startEmbeddedPostgres({ dataDir });
  });

  after(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  void test('serves the bulwark database to the bulwark superuser', async () => {
    const [row] = await query<{ user: string; db: string; encoding: string }>(
      server.connectionString,
      `SELECT current_user AS user, current_database() AS db,
              pg_encoding_to_char(encoding) AS encoding
       FROM pg_database WHERE datname = current_database()`,
    );
    assert.deepEqual(row, { user: 'bulwark', db: 'bulwark', encoding: 'UTF8' });
  });

  void test('listens on no TCP address, only on its private socket', async () => {
    const [row] = await query<{ listen: string; sockets: string; fsync: string }>(
      server.connectionString,
      `SELECT current_setting('listen_addresses') AS listen,
              current_setting('unix_socket_directories') AS sockets,
              current_setting('fsync') AS fsync`,
    );
    assert.equal(row?.listen, '');
    assert.equal(row?.sockets, socketDirOf(server));
    assert.equal(row?.fsync, 'on', 'durable by default');
  });

  void test('requires the password', async () => {
    const { host, user, database } = parse(server.connectionString);
    const client = new pg.Client({ host, user, database, password: 'not-the-password' });
    await assert.rejects(client.connect(), (err: { code?: string }) => err.code === '28P01');
  });

  // S11: files the platform writes are created 0600, directories 0700.
  void test('S11: its files are 0600 and its directories 0700', async () => {
    // The server user reaches its cluster through its mount namespace, not through here.
    assert.equal(await modeOf(dataDir), 0o700);
    assert.equal(await modeOf(join(dataDir, 'postgres')), 0o700);
    assert.equal(await modeOf(join(dataDir, 'postgres-password')), 0o600);
    assert.equal(await modeOf(join(dataDir, 'postgres.log')), 0o600);
    assert.equal(await modeOf(socketDirOf(server)), 0o700);
    if (runningAsRoot) {
      assert.equal((await stat(join(dataDir, 'postgres-password'))).uid, 0);
      assert.notEqual((await stat(join(dataDir, 'postgres'))).uid, 0);
    }
  });

  void test('S1: the password is in neither the log nor the server command line', async () => {
    const password = (await readFile(join(dataDir, 'postgres-password'), 'utf8')).trim();
    assert.match(password, /^[0-9a-f]{64}$/);
    assert.ok(!(await readFile(join(dataDir, 'postgres.log'), 'utf8')).includes(password));
    const pidLine = (await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8'))
      .split('\n', 1)
      .at(0)!;
    const commandLine = await readFile(`/proc/${pidLine}/cmdline`, 'utf8').catch(() => '');
    assert.ok(!commandLine.includes(password));
  });

  void test('a second server on the same data directory is refused with a clear error', async () => {
    await assert.rejects(
      startEmbeddedPostgres({ dataDir }),
      /already running.*same|another Bulwark/s,
    );
  });
});

void test('a restart reuses the cluster, its data and its password', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-db-test-'));
  try {
    const first = await startEmbeddedPostgres({ dataDir });
    const firstSocketDir = socketDirOf(first);
    await query(
      first.connectionString,
      `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('x')`,
    );
    await first.stop();
    await first.stop(); // idempotent
    await assert.rejects(stat(firstSocketDir), { code: 'ENOENT' });

    const second = await startEmbeddedPostgres({ dataDir });
    try {
      assert.equal(parse(second.connectionString).password, parse(first.connectionString).password);
      assert.deepEqual(await query(second.connectionString, 'SELECT v FROM kept'), [{ v: 'x' }]);
    } finally {
      await second.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
