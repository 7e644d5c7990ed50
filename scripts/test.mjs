#!/usr/bin/env node
// `npm test [-- filter...]`: builds, starts one throwaway PostgreSQL server, prepares a
// migrated template database, runs every compiled *.test.js (or those whose path
// contains a filter) with node --test, and tears everything down, also on Ctrl-C.
//
// `npm run test:unit [-- filter...]` (`--unit`): only the unit tier, the test files
// whose source starts with the line `// test-tier: unit`. They need neither root nor
// a database, so no server is started, nothing is installed, and the database
// variables are removed from their environment: a unit test that reaches for the
// database fails instead of quietly using one. See docs/testing.md.
//
// Both end by listing every skipped or todo test with its reason; a skip without a
// reason fails the run.
import { spawn, spawnSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const TEMPLATE = 'bulwark_template';
const TEST_ROOTS = ['packages', 'services', 'apps'];
/** The first line of a unit-tier test file's source. */
const UNIT_MARKER = '// test-tier: unit';
const SKIP_REPORTER = join(root, 'scripts', 'test-skip-reporter.mjs');

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
  // `npm run build`: the TypeScript projects, then the web UI (skipped when unchanged).
  for (const [command, args] of [
    ['npx', ['tsc', '-b']],
    [process.execPath, [join(root, 'scripts', 'build-ui.mjs')]],
  ]) {
    const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) {
      console.error('test: the build failed');
      process.exit(result.status ?? 1);
    }
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

/** A compiled test file's TypeScript source: packages/x/dist/a.test.js -> packages/x/src/a.test.ts. */
function sourceOf(file) {
  return file.replace(/\/dist\//, '/src/').replace(/\.js$/, '.ts');
}

async function isUnitTier(file) {
  const source = await readFile(join(root, sourceOf(file)), 'utf8').catch(() => '');
  return source.startsWith(`${UNIT_MARKER}\n`);
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

function runTests(files, env, skipReportPath) {
  const args = [
    '--test',
    '--test-concurrency=2',
    // spec for people; tap on CI gives the "# tests/# pass/# fail" summary.
    `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
    '--test-reporter-destination=stdout',
    `--test-reporter=${SKIP_REPORTER}`,
    `--test-reporter-destination=${skipReportPath}`,
  ];
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

/**
 * Prints every skipped and todo test with its reason, so that CI logs show them all;
 * returns how many gave no reason.
 */
async function reportSkips(skipReportPath) {
  const text = await readFile(skipReportPath, 'utf8').catch(() => '');
  const entries = text
    .split('\n')
    .filter((line) => line !== '')
    .flatMap((line) => {
      try {
        return [JSON.parse(line)];
      } catch {
        return []; // the last line of a run cut short
      }
    });
  if (entries.length === 0) return 0;
  let unexplained = 0;
  console.log(`\ntest: ${entries.length} skipped or todo:`);
  for (const { name, file, skip, todo } of entries) {
    const kind = skip !== undefined ? 'skip' : 'todo';
    const reason = skip ?? todo;
    if (reason === true || reason === '') unexplained++;
    const why = typeof reason === 'string' && reason !== '' ? reason : 'NO REASON GIVEN';
    console.log(`  ${kind}: ${file ? relative(root, file) : '?'}: ${name}: ${why}`);
  }
  if (unexplained > 0) {
    console.error(
      `test: ${unexplained} skipped without a reason; say why: { skip: 'why' } or t.skip('why')`,
    );
  }
  return unexplained;
}

/** Runs the files, lists the skips; a skip without a reason fails a passing run. */
async function runAndReport(files, env, runDir) {
  const skipReportPath = join(runDir, 'skips.jsonl');
  const code = await runTests(files, env, skipReportPath);
  const unexplained = await reportSkips(skipReportPath);
  return code === 0 && unexplained > 0 ? 1 : code;
}

async function mainUnit(filters) {
  build();
  const files = [];
  for (const file of await findTestFiles(filters)) if (await isUnitTier(file)) files.push(file);
  if (files.length === 0) {
    console.error(
      `test: no unit-tier test files found${filters.length ? ` matching ${filters.join(', ')}` : ''}`,
    );
    return 1;
  }
  const runDir = await mkdtemp(join(tmpdir(), 'bulwark-test-unit-'));
  try {
    const testTmpDir = join(runDir, 'tmp');
    await mkdir(testTmpDir, { mode: 0o700 });
    const env = { ...process.env, TMPDIR: testTmpDir };
    delete env.BULWARK_TEST_DATABASE_URL;
    delete env.BULWARK_TEST_TEMPLATE;
    console.log(`test: unit tier, ${files.length} test files, no database`);
    const code = await runAndReport(files, env, runDir);
    return interrupted ? 130 : code;
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
}

async function main() {
  const args = process.argv.slice(2);
  const filters = args.filter((arg) => arg !== '--unit');
  if (args.includes('--unit')) return mainUnit(filters);
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
    const code = await runAndReport(files, env, runDir);
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
