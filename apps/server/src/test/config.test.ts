import { strict as assert } from 'node:assert';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLogger } from '@bulwark/api';
import { loadConfigFile } from '../config-file.js';
import { parseServices, resolveConfig, type PlatformConfig } from '../config.js';
import { startPlatform } from '../platform.js';

let scratch: string;
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bulwark-config-'));
});
after(() => rm(scratch, { recursive: true, force: true }));

const EXTERNAL = {
  BULWARK_DATABASE_URL: 'postgres://bulwark@db.example/bulwark',
  BULWARK_KEYRING: '{"keys":[]}',
};

test('services: all by default, a subset in canonical order, unknown names refused', () => {
  assert.deepEqual(resolveConfig({}, {}).services, ['auth', 'queue', 'secrets', 'signing']);
  assert.deepEqual(parseServices('secrets, queue,queue'), ['queue', 'secrets']);
  assert.deepEqual(parseServices(['all']), ['auth', 'queue', 'secrets', 'signing']);
  assert.throws(() => parseServices('queue,all'), /unknown service "all"/);
  assert.throws(() => parseServices('scheduler'), /unknown service "scheduler".*auth, queue/);
  assert.throws(() => parseServices(' , '), /no service selected/);
  assert.deepEqual(resolveConfig({}, { ...EXTERNAL, BULWARK_SERVICES: 'queue' }).services, [
    'queue',
  ]);
  // Naming every service is the same as all, and allowed with the embedded database.
  assert.deepEqual(
    resolveConfig({ services: 'auth,queue,secrets,signing' }, {}).services.length,
    4,
  );
});

test('the embedded database with a subset of services is refused, saying what to set', async () => {
  for (const services of ['queue', 'auth', 'secrets', 'auth,queue']) {
    assert.throws(
      () => resolveConfig({ services }, {}),
      new RegExp(
        `^Error: --service ${services} needs an external PostgreSQL: set BULWARK_DATABASE_URL.*serves only --service all`,
      ),
    );
  }
  // startPlatform refuses a hand-built configuration too, before starting anything.
  const dataDir = join(scratch, 'never-created');
  const config: PlatformConfig = {
    ...resolveConfig({ dataDir, port: 0 }, {}),
    services: ['queue'],
  };
  await assert.rejects(
    startPlatform(config, { logger: createLogger({ level: 'silent' }) }),
    /needs an external PostgreSQL/,
  );
  await assert.rejects(readdir(dataDir), { code: 'ENOENT' });
});

test('split services need the keyring from configuration', () => {
  assert.throws(
    () =>
      resolveConfig({ services: 'queue' }, { BULWARK_DATABASE_URL: EXTERNAL.BULWARK_DATABASE_URL }),
    /needs the deployment's keyring from configuration: set BULWARK_KEYRING/,
  );
  assert.throws(
    () => resolveConfig({ services: 'queue', resetRootCredentials: true }, EXTERNAL),
    /--reset-root-credentials needs a process that serves auth/,
  );
});

test('command line over environment over file over defaults', () => {
  const file = {
    services: ['queue'],
    host: '10.0.0.5',
    port: 9000,
    databaseUrl: 'postgres://from-file/db',
    keyring: { keys: [{ id: 'f', key: 'x' }] },
    logLevel: 'warn',
    claimTimeoutSeconds: 600,
  };
  const fromFile = resolveConfig({}, {}, file);
  assert.equal(fromFile.host, '10.0.0.5');
  assert.equal(fromFile.port, 9000);
  assert.equal(fromFile.databaseUrl, 'postgres://from-file/db');
  assert.equal(fromFile.keyringJson, '{"keys":[{"id":"f","key":"x"}]}');
  assert.equal(fromFile.claimTimeoutSeconds, 600);
  assert.equal(fromFile.rootUrl, 'http://10.0.0.5:9000');
  const fromEnv = resolveConfig(
    {},
    { BULWARK_PORT: '9100', BULWARK_SERVICES: 'secrets', BULWARK_LOG_LEVEL: '' },
    file,
  );
  assert.equal(fromEnv.port, 9100);
  assert.deepEqual(fromEnv.services, ['secrets']);
  // An empty variable is no setting: the file's value stands.
  assert.equal(fromEnv.logLevel, 'warn');
  const fromFlags = resolveConfig(
    { port: 9200, services: 'auth' },
    { BULWARK_PORT: '9100', BULWARK_SERVICES: 'secrets' },
    file,
  );
  assert.equal(fromFlags.port, 9200);
  assert.deepEqual(fromFlags.services, ['auth']);
});

test('S13: the removed in-memory nonce cache cannot be asked for', () => {
  for (const replay of ['memory', 'Memory', 'none']) {
    assert.throws(
      () => resolveConfig({}, { BULWARK_REPLAY_PROTECTION: replay }),
      /BULWARK_REPLAY_PROTECTION: the only value is "database"/,
    );
    assert.throws(
      () => resolveConfig({}, {}, { replayProtection: replay as 'database' }),
      /the in-memory nonce cache was removed/,
    );
  }
  // Configurations that named the shared table keep working.
  resolveConfig({}, { BULWARK_REPLAY_PROTECTION: 'database' });
  resolveConfig({}, {}, { replayProtection: 'database' });
});

test('a config file: unknown keys, wrong types and readable secrets are refused', async () => {
  const write = async (name: string, value: unknown, mode = 0o600): Promise<string> => {
    const path = join(scratch, name);
    await writeFile(path, JSON.stringify(value));
    await chmod(path, mode);
    return path;
  };
  const plain = await write('plain.json', { services: 'queue,secrets', port: 8081 }, 0o644);
  assert.deepEqual(await loadConfigFile(plain), { services: 'queue,secrets', port: 8081 });
  await assert.rejects(
    loadConfigFile(await write('typo.json', { databaseURL: 'postgres://x' })),
    /unknown key "databaseURL"/,
  );
  await assert.rejects(
    loadConfigFile(await write('types.json', { port: '8080' })),
    /"port" in the config file .* must be a whole number/,
  );
  const open = await write('open.json', { databaseUrl: 'postgres://u:p@db/b' }, 0o640);
  await assert.rejects(
    loadConfigFile(open),
    /other than its owner can read it \(mode 640\); run: chmod 600/,
  );
  await chmod(open, 0o600);
  assert.equal((await loadConfigFile(open)).databaseUrl, 'postgres://u:p@db/b');
  await assert.rejects(loadConfigFile(join(scratch, 'missing.json')), /cannot read the config/);
  await writeFile(join(scratch, 'bad.json'), '{');
  await assert.rejects(loadConfigFile(join(scratch, 'bad.json')), /not valid JSON/);
});

test('AMQP publishing: off by default; the URL from environment or a private file', async () => {
  assert.equal(resolveConfig({}, {}).amqp, undefined);
  const url = 'amqp://bulwark:s3cret-pw@broker.example:5672/ci';
  assert.deepEqual(resolveConfig({}, { BULWARK_AMQP_URL: url }).amqp, {
    url,
    exchangePrefix: undefined,
  });
  assert.deepEqual(
    resolveConfig(
      {},
      { BULWARK_AMQP_EXCHANGE_PREFIX: 'exchange/env/' },
      { amqpUrl: url, amqpExchangePrefix: 'exchange/file/' },
    ).amqp,
    { url, exchangePrefix: 'exchange/env/' },
  );
  // A bad URL is refused by the variable's name; the value, which may hold a password, is not echoed.
  const bad = 'http://bulwark:s3cret-pw@broker.example';
  assert.throws(
    () => resolveConfig({}, { BULWARK_AMQP_URL: bad }),
    (err: Error) =>
      /BULWARK_AMQP_URL must be an amqp/.test(err.message) && !err.message.includes('s3cret'),
  );
  // The URL holds the broker's password: a file with it must be its owner's alone.
  const path = join(scratch, 'amqp.json');
  await writeFile(path, JSON.stringify({ amqpUrl: url }));
  await chmod(path, 0o644);
  await assert.rejects(loadConfigFile(path), /AMQP URL.*chmod 600/);
  await chmod(path, 0o600);
  assert.equal((await loadConfigFile(path)).amqpUrl, url);
});

test('builder trust levels come from the setting, and a malformed one is refused', () => {
  const config = resolveConfig({}, { BULWARK_BUILDER_TRUST_LEVELS: 'proj-release/*=3' });
  assert.deepEqual(config.builderTrustLevels, [{ pattern: 'proj-release/*', level: 3 }]);
  assert.deepEqual(resolveConfig({}, {}).builderTrustLevels, []);
  assert.throws(
    () => resolveConfig({}, { BULWARK_BUILDER_TRUST_LEVELS: 'proj-release/*=5' }),
    /builder trust levels: "proj-release\/\*=5" is not/,
  );
});
