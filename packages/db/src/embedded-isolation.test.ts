import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { chmod, lstat, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { resolvePostgresBinaries, type PostgresBinaries } from './embedded-binaries.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded-server.js';
import { SERVER_USER_NAME } from './server-user.js';

const runningAsRoot = process.getuid?.() === 0;
const execFileAsync = promisify(execFile);

async function query(connectionString: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client(connectionString);
  await client.connect();
  try {
    return (await client.query(sql)).rows as unknown[];
  } finally {
    await client.end();
  }
}

function socketDirOf(server: EmbeddedServer): string {
  return new pg.Client(server.connectionString).host;
}

interface Entry {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** Every path under `root` (itself included) with its mode and owners, without following links. */
async function walk(root: string): Promise<Map<string, Entry>> {
  const found = new Map<string, Entry>();
  const visit = async (path: string): Promise<void> => {
    const info = await lstat(path).catch(() => undefined);
    // Files the server removes while we walk (its statistics, WAL segments) do not count.
    if (!info) return;
    found.set(path, { mode: info.mode & 0o7777, uid: info.uid, gid: info.gid });
    if (!info.isDirectory()) return;
    const entries = await readdir(path).catch(() => [] as string[]);
    for (const entry of entries) await visit(join(path, entry));
  };
  await visit(root);
  return found;
}

function openToOthers(entries: Map<string, Entry>): string[] {
  return [...entries]
    .filter(([, e]) => (e.mode & 0o007) !== 0)
    .map(([path, e]) => `${path} ${e.mode.toString(8)}`);
}

/** A copy of the PostgreSQL binaries (hard links where possible) in `dir`. */
async function copyBinaries(dir: string): Promise<PostgresBinaries> {
  const original = await resolvePostgresBinaries();
  const installDir = join(dir, 'pg');
  await execFileAsync('cp', ['-al', original.installDir, installDir]).catch(() =>
    execFileAsync('cp', ['-a', original.installDir, installDir]),
  );
  const moved = (path: string): string => join(installDir, relative(original.installDir, path));
  return { installDir, initdb: moved(original.initdb), postgres: moved(original.postgres) };
}

async function serverUserGid(): Promise<number> {
  const { stdout } = await execFileAsync('getent', ['passwd', SERVER_USER_NAME]);
  return Number(stdout.split(':')[3]);
}

void describe('an embedded server in a directory only its owner may enter', () => {
  let outer: string;
  let dataDir: string;
  let server: EmbeddedServer;

  before(async () => {
    // Like a clone in /root/x or under `mktemp -d`: 0700, and so is everything above
    // the binaries and the data. Nothing here may be loosened for the server user.
    outer = await mkdtemp(join(tmpdir(), 'bulwark-db-private-'));
    await chmod(outer, 0o700);
    dataDir = join(outer, 'data');
    server = await startEmbeddedPostgres({
      dataDir,
      binaries: await copyBinaries(outer),
      durable: false,
    });
  });

  after(async () => {
    await server.stop();
    await rm(outer, { recursive: true, force: true });
  });

  void test('starts and answers queries, with no permission of the parents loosened', async () => {
    assert.deepEqual(await query(server.connectionString, 'SELECT 1 AS one'), [{ one: 1 }]);
    assert.equal((await stat(outer)).mode & 0o777, 0o700);
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
  });

  // S11: nothing Bulwark creates is open to others, not even for traversal.
  void test('S11: nothing the embedded server creates has a mode bit for others', async () => {
    const created = await walk(dataDir);
    assert.ok(created.has(join(dataDir, 'postgres', 'PG_VERSION')), 'the walk saw the cluster');
    assert.deepEqual(openToOthers(created), []);
    const socketDir = socketDirOf(server);
    const runtime = await walk(runningAsRoot ? dirname(socketDir) : socketDir);
    assert.deepEqual(openToOthers(runtime), []);
    if (runningAsRoot) {
      // The one directory the server user passes without owning it: through its own group.
      const top = runtime.get(dirname(socketDir));
      assert.deepEqual(top, { mode: 0o710, uid: 0, gid: await serverUserGid() });
      assert.equal(runtime.get(socketDir)?.mode, 0o700);
    }
  });

  void test(
    'as root, the server sees its binaries read-only and its cluster through mounts of its own',
    { skip: !runningAsRoot && 'needs root' },
    async () => {
      const runtime = dirname(socketDirOf(server));
      const pidLine = await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8');
      const mountinfo = await readFile(`/proc/${pidLine.split('\n', 1)[0]}/mountinfo`, 'utf8');
      // Fields: id parent dev root mountpoint options ...
      const optionsAt = (point: string): string[] | undefined =>
        mountinfo
          .split('\n')
          .map((line) => line.split(' '))
          .find((fields) => fields[4] === point)?.[5]
          ?.split(',');
      assert.ok(optionsAt(join(runtime, 'install'))?.includes('ro'), 'binaries read-only');
      const cluster = optionsAt(join(runtime, 'cluster'));
      assert.ok(cluster?.includes('rw') && cluster.includes('nosuid') && cluster.includes('nodev'));
      // The mounts are the server's alone: none of them is visible outside its namespace.
      assert.ok(!(await readFile('/proc/self/mountinfo', 'utf8')).includes(runtime));
    },
  );

  // S19: one instance never disturbs another: a refused start changes nothing.
  void test('a second start on the data directory in use is refused and touches nothing', async () => {
    const beforeFiles = await walk(dataDir);
    const beforeLog = await readFile(join(dataDir, 'postgres.log'), 'utf8');
    await assert.rejects(
      startEmbeddedPostgres({ dataDir, durable: false }),
      /already running.*another Bulwark/s,
    );
    const afterFiles = await walk(dataDir);
    // Only the top of the tree: inside its cluster the running server creates and
    // removes files of its own at any time.
    const cluster = join(dataDir, 'postgres');
    for (const [path, entry] of beforeFiles) {
      if (path.startsWith(`${cluster}/`)) continue;
      assert.deepEqual(afterFiles.get(path), entry, `${path} is unchanged`);
    }
    for (const path of afterFiles.keys()) {
      if (!path.startsWith(`${cluster}/`)) assert.ok(beforeFiles.has(path), `${path} is new`);
    }
    // A second postmaster would have written its refusal into the running one's log.
    assert.equal(await readFile(join(dataDir, 'postgres.log'), 'utf8'), beforeLog);
    assert.deepEqual(await query(server.connectionString, 'SELECT 2 AS two'), [{ two: 2 }]);
  });
});

/** The process state letter of `pid` (Z: exited, not yet reaped), or undefined when gone. */
async function processState(pid: number): Promise<{ state: string; session: number } | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', session: Number(fields[3]) };
}

void test('the server has a session of its own and stops when its owner is SIGKILLed', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-db-orphan-'));
  const module = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'embedded-server.js'));
  const script = `
    const { startEmbeddedPostgres } = await import(${JSON.stringify(module.href)});
    const server = await startEmbeddedPostgres({ dataDir: process.argv[1], durable: false });
    console.log(JSON.stringify({ connectionString: server.connectionString }));
    setInterval(() => undefined, 1000);
  `;
  const owner = spawn(process.execPath, ['--input-type=module', '-e', script, dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((done) => owner.once('exit', done));
  try {
    const line = await new Promise<string>((done, fail) => {
      let out = '';
      owner.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) done(out.split('\n', 1)[0]!);
      });
      owner.once('exit', (code) => fail(new Error(`the owner exited early (${String(code)})`)));
    });
    const { connectionString } = JSON.parse(line) as { connectionString: string };
    const pidFile = await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8');
    const postmaster = Number(pidFile.split('\n', 1)[0]);
    // Its own session: a Ctrl-C at the owner's terminal never reaches it directly.
    assert.equal((await processState(postmaster))?.session, postmaster);

    owner.kill('SIGKILL');
    await exited;
    // Bounded: the parent-death signal asks for a fast shutdown, which takes moments.
    let state = await processState(postmaster);
    for (let i = 0; i < 300 && state !== undefined && state.state !== 'Z'; i++) {
      await sleep(100);
      state = await processState(postmaster);
    }
    assert.ok(state === undefined || state.state === 'Z', 'the server stopped with its owner');

    // It shut down cleanly: the next start reuses the cluster at once.
    const next = await startEmbeddedPostgres({ dataDir, durable: false });
    try {
      assert.deepEqual(await query(next.connectionString, 'SELECT 3 AS three'), [{ three: 3 }]);
      if (runningAsRoot) {
        // The killed owner's runtime directory went with the next start.
        const socketDir = new pg.Client(connectionString).host;
        await assert.rejects(stat(dirname(socketDir)), { code: 'ENOENT' });
      }
    } finally {
      await next.stop();
    }
  } finally {
    if (owner.exitCode === null && owner.signalCode === null) owner.kill('SIGKILL');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  }
});

// S11: the test runner (scripts/test.mjs) keeps the same rule for its own directories.
void test(
  'S11: the test run directory and TMPDIR have no mode bit for others',
  { skip: !/\/bulwark-test-[^/]+\/tmp$/.test(tmpdir()) && 'not run by scripts/test.mjs' },
  async () => {
    for (const dir of [tmpdir(), dirname(tmpdir())]) {
      const info = await stat(dir);
      assert.equal(info.mode & 0o007, 0, `${dir} is closed to others`);
      assert.equal(info.mode & 0o777, runningAsRoot ? 0o710 : 0o700);
    }
  },
);
