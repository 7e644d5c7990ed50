#!/usr/bin/env node
// `npm test [-- filter...]`: builds, starts one throwaway PostgreSQL server, prepares a
// migrated template database, runs every compiled *.test.js (or those whose path
// contains a filter) with node --test, and tears everything down, also on Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const TEMPLATE = 'bulwark_template';
const TEST_ROOTS = ['packages', 'services', 'apps'];

/** Set by a signal handler; every step checks it so Ctrl-C still cleans up. */
let interrupted;
/** The running `node --test`, to pass a signal on to. */
let testRun;

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    interrupted = signal;
    testRun?.kill(signal);
  });
}

/** The sandbox tests need bubblewrap and friends, the AMQP tests a broker; installed as root, else named. */
function systemPackages() {
  const result = spawnSync('bash', [join(root, 'scripts', 'system-packages.sh'), '--tests'], {
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function build() {
  const result = spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('test: the build failed');
    process.exit(result.status ?? 1);
  }
}

async function findTestFiles(filters) {
  const files = [];
  const walk = async (dir) => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules') await walk(path);
      else if (entry.isFile() && entry.name.endsWith('.test.js')) files.push(relative(root, path));
    }
  };
  for (const group of TEST_ROOTS) {
    const members = await readdir(join(root, group), { withFileTypes: true }).catch(() => []);
    for (const member of members) {
      if (member.isDirectory()) await walk(join(root, group, member.name, 'dist'));
    }
  }
  files.sort();
  return filters.length === 0 ? files : files.filter((f) => filters.some((arg) => f.includes(arg)));
}

/** Creates the template every test database is copied from, at the current schema. */
async function prepareTemplate(db, adminUrl) {
  const { migrations } = await import(
    pathToFileURL(join(root, 'packages/db/dist/migrations/index.js')).href
  );
  const admin = db.createPool(adminUrl, { max: 1, applicationName: 'bulwark-test-runner' });
  try {
    await admin.query(`CREATE DATABASE ${TEMPLATE}`);
  } finally {
    await admin.end();
  }
  // Ending the pool closes every connection: CREATE DATABASE ... TEMPLATE needs the
  // template to have none.
  const pool = db.createPool(db.withDatabase(adminUrl, TEMPLATE), { max: 1 });
  try {
    const { applied } = await db.migrate(pool, migrations);
    console.log(
      `test: template ${TEMPLATE} at schema version ${migrations.length} (${applied.length} applied)`,
    );
  } finally {
    await pool.end();
  }
}

function runTests(files, env) {
  const args = ['--test', '--test-concurrency=2'];
  // spec for people; the default reporter on CI gives the "# tests/# pass/# fail" summary.
  if (process.stdout.isTTY) args.push('--test-reporter=spec');
  return new Promise((resolve) => {
    testRun = spawn(process.execPath, [...args, ...files], { cwd: root, stdio: 'inherit', env });
    testRun.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    testRun.on('error', (err) => {
      console.error(`test: cannot start node --test: ${err.message}`);
      resolve(1);
    });
  });
}

/** 0700, or as root 0710 with the worker sandbox's group (its SANDBOX_GID). */
async function restrictToSandboxGroup(dir) {
  if (process.getuid?.() !== 0) return chmod(dir, 0o700);
  const { SANDBOX_GID } = await import(pathToFileURL(join(root, 'apps/worker/dist/index.js')).href);
  await chown(dir, 0, SANDBOX_GID);
  await chmod(dir, 0o710);
}

async function main() {
  const filters = process.argv.slice(2);
  systemPackages();
  build();
  const files = await findTestFiles(filters);
  if (files.length === 0) {
    console.error(
      `test: no test files found${filters.length ? ` matching ${filters.join(', ')}` : ''}`,
    );
    return filters.length ? 1 : 0;
  }
  const db = await import(pathToFileURL(join(root, 'packages/db/dist/index.js')).href);
  // One directory for the whole run: the server's data, and the TMPDIR of the tests,
  // so whatever a killed test leaves behind goes too. Nothing in it is open to others
  // (S11). As root, the sandbox user of the worker's tests must pass through to the
  // task directories they make under TMPDIR: 0710, with the sandbox's own group. The
  // database user needs nothing here: the embedded server binds what it uses.
  const runDir = await mkdtemp(join(tmpdir(), 'bulwark-test-'));
  const testTmpDir = join(runDir, 'tmp');
  let server;
  try {
    await mkdir(testTmpDir, { mode: 0o700 });
    for (const dir of [runDir, testTmpDir]) await restrictToSandboxGroup(dir);
    const startedAt = performance.now();
    // Not durable: the cluster is deleted afterwards, and fsync would only slow tests.
    server = await db.startEmbeddedPostgres({ dataDir: join(runDir, 'db'), durable: false });
    await prepareTemplate(db, server.connectionString);
    console.log(
      `test: database ready in ${Math.round(performance.now() - startedAt)} ms; ${files.length} test files`,
    );
    if (interrupted) return 130;
    const env = {
      ...process.env,
      TMPDIR: testTmpDir,
      BULWARK_TEST_DATABASE_URL: server.connectionString,
      BULWARK_TEST_TEMPLATE: TEMPLATE,
    };
    const code = await runTests(files, env);
    return interrupted ? 130 : code;
  } finally {
    await server
      ?.stop()
      .catch((err) => console.error(`test: stopping the database failed: ${err.message}`));
    await rm(runDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    if (interrupted) {
      console.error(`test: interrupted (${interrupted})`);
      process.exitCode = 130;
      return;
    }
    console.error('test:', err);
    process.exitCode = 1;
  },
);
