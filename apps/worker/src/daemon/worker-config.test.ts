// test-tier: unit
import { strict as assert } from 'node:assert';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadWorkerConfig, loadWorkerCredentials, WorkerConfigError } from './worker-config.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bulwark-worker-config-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const BASE = {
  rootUrl: 'http://127.0.0.1:8080/',
  taskQueueId: 'local/default',
  workerGroup: 'local',
  workerId: 'w1',
  dataDir: '/var/lib/bulwark-worker',
  credentialsFile: '/etc/bulwark/worker.json',
};

async function configFile(content: unknown): Promise<string> {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(content));
  return file;
}

test('a minimal file gets safe defaults: sandbox engine, isolated pool, capacity 1', async () => {
  const config = await loadWorkerConfig(await configFile(BASE), {});
  assert.equal(config.rootUrl, 'http://127.0.0.1:8080');
  assert.equal(config.engine, 'sandbox');
  assert.equal(config.isolated, true);
  assert.equal(config.capacity, 1);
  assert.deepEqual(config.limits.max, { memoryMB: 4096, pids: 1024, cpus: 2, diskMB: 8192 });
  assert.equal(config.limits.defaults.diskMB, 2048);
  assert.equal(config.diskImageMB, 8192 + 512 + 8192);
  assert.ok(Object.isFrozen(config));
});

test('S19: disk limits are configured like the others; the image must hold every running task', async () => {
  const config = await loadWorkerConfig(
    await configFile({
      ...BASE,
      capacity: 2,
      maxResources: { memoryMB: 512, pids: 64, cpus: 1, diskMB: 1024 },
      defaultResources: { memoryMB: 256, pids: 32, cpus: 1 },
    }),
    {},
  );
  assert.equal(config.limits.max.diskMB, 1024);
  // A default that is not given is the smaller of 2048 and the maximum.
  assert.equal(config.limits.defaults.diskMB, 1024);
  assert.equal(config.diskImageMB, 2 * 1024 + 512 + 1024);
  await assert.rejects(
    loadWorkerConfig(
      await configFile({
        ...BASE,
        capacity: 4,
        maxResources: { memoryMB: 512, pids: 64, cpus: 1, diskMB: 1024 },
        diskImageMB: 2048,
      }),
      {},
    ),
    /diskImageMB 2048 cannot hold 4 task\(s\) at maxResources.diskMB 1024: it needs at least 4608/,
  );
  await assert.rejects(
    loadWorkerConfig(
      await configFile({ ...BASE, maxResources: { memoryMB: 512, pids: 64, cpus: 1, diskMB: 8 } }),
      {},
    ),
    /diskMB/,
  );
});

test('the environment overrides the file', async () => {
  const config = await loadWorkerConfig(await configFile(BASE), {
    BULWARK_WORKER_CAPACITY: '4',
    BULWARK_WORKER_ID: 'from-env',
  });
  assert.equal(config.capacity, 4);
  assert.equal(config.workerId, 'from-env');
});

test('S9: an isolated pool refuses the insecure engine; bad settings are named', async () => {
  await assert.rejects(
    loadWorkerConfig(await configFile({ ...BASE, engine: 'insecure' }), {}),
    /isolated pool/,
  );
  const dev = await loadWorkerConfig(
    await configFile({ ...BASE, engine: 'insecure', isolated: false }),
    {},
  );
  assert.equal(dev.engine, 'insecure');
  await assert.rejects(
    loadWorkerConfig(await configFile({ ...BASE, workerId: 'bad id' }), {}),
    /workerId/,
  );
  await assert.rejects(
    loadWorkerConfig(await configFile({ ...BASE, surprise: 1 }), {}),
    WorkerConfigError,
  );
  await assert.rejects(loadWorkerConfig(join(dir, 'missing.json'), {}), /cannot read/);
});

test('S8: the test-only weakening switches of the sandbox engine cannot be configured', async () => {
  // The engine takes weakenedForTests only from code; no configuration reaches it.
  for (const weakened of [
    { weakenedForTests: { seccomp: false } },
    { weakenedForTests: { pidNamespace: false } },
    { weakenedForTests: { network: false } },
    { weakenedForTests: { proxyPathCheck: false } },
    { weakenedForTests: { masking: false } },
    { sandbox: { weakenedForTests: { seccomp: false } } },
  ]) {
    await assert.rejects(
      loadWorkerConfig(await configFile({ ...BASE, ...weakened }), {}),
      WorkerConfigError,
    );
  }
});

test('S7: pool permissions are read strictly; an entry the resolver reads otherwise is refused by name', async () => {
  const config = await loadWorkerConfig(
    await configFile({ ...BASE, networkAllow: ['Registry.NPMJS.org:443', '10.250.0.2:5432'] }),
    {},
  );
  assert.deepEqual(config.limits.networkAllow, ['registry.npmjs.org:443', '10.250.0.2:5432']);
  for (const [entry, why] of [
    [
      '010.250.000.002:80',
      /"010\.250\.000\.002:80": 010\.250\.000\.002 is not a canonical IPv4 address/,
    ],
    ['0x7f.0.0.1:80', /not a canonical IPv4 address/],
    ['2130706433:80', /not a canonical IPv4 address/],
    ['10.0.0.0/8:80', /address range/],
    ['[fd00:ec2::254]:80', /IPv6/],
    ['example.org:080', /port 080/],
  ] as const) {
    await assert.rejects(
      loadWorkerConfig(await configFile({ ...BASE, networkAllow: ['example.org:443', entry] }), {}),
      (err: Error) => err instanceof WorkerConfigError && why.test(err.message),
      entry,
    );
  }
});

test('S11: credentials are read only from a file no one else can read', async () => {
  const file = join(dir, 'credentials.json');
  await writeFile(file, JSON.stringify({ clientId: 'worker/local', accessToken: 'x'.repeat(44) }), {
    mode: 0o644,
  });
  await chmod(file, 0o644);
  await assert.rejects(loadWorkerCredentials(file), /readable by others.*chmod 600/);
  await chmod(file, 0o600);
  assert.equal((await loadWorkerCredentials(file)).clientId, 'worker/local');
});

test('S11: credentials kept in the configuration are read from it, under the same 0600 rule', async () => {
  const withoutFile: Record<string, unknown> = { ...BASE };
  delete withoutFile.credentialsFile;
  const inline = {
    ...withoutFile,
    credentials: { clientId: 'worker/w1', accessToken: 'y'.repeat(44) },
  };
  const file = await configFile(inline);
  const config = await loadWorkerConfig(file, {});
  assert.equal(config.credentialsFile, file);
  await chmod(file, 0o644);
  await assert.rejects(loadWorkerCredentials(file), /readable by others/);
  await chmod(file, 0o600);
  assert.equal((await loadWorkerCredentials(file)).clientId, 'worker/w1');
  // Both places, or neither, is a mistake that is named.
  await assert.rejects(
    loadWorkerConfig(await configFile({ ...inline, credentialsFile: '/x' }), {}),
    /not both/,
  );
  await assert.rejects(loadWorkerConfig(await configFile(withoutFile), {}), /not both/);
});
