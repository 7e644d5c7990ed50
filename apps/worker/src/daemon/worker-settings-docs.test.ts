// test-tier: unit
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadWorkerConfig } from './worker-config.js';
import {
  REGENERATE_WORKER_SETTINGS,
  renderWorkerSection,
  renderWorkerSettingsTable,
  renderWorkerTestOnlyTable,
  withWorkerSettings,
  workerSectionText,
} from './worker-settings-docs.js';
import { WORKER_SETTINGS, type WorkerSetting } from './worker-settings.js';

const repository = resolve(fileURLToPath(import.meta.url), '../../../../..');

const BASE = {
  rootUrl: 'http://127.0.0.1:8080',
  taskQueueId: 'local/default',
  workerGroup: 'local',
  workerId: 'w1',
  dataDir: '/var/lib/bulwark-worker',
  credentialsFile: '/etc/bulwark/worker.json',
};

async function withConfig<T>(content: unknown, use: (path: string) => Promise<T>): Promise<T> {
  const scratch = await mkdtemp(join(tmpdir(), 'bulwark-worker-settings-'));
  try {
    const path = join(scratch, 'worker.json');
    await writeFile(path, JSON.stringify(content));
    return await use(path);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

test("the worker's settings tables in docs/worker.md are the ones the declarations render", async () => {
  const document = await readFile(resolve(repository, 'docs/worker.md'), 'utf8');
  for (const section of ['settings', 'testOnly'] as const) {
    const documented = workerSectionText(document, section);
    assert.ok(documented !== undefined, `docs/worker.md lost its ${section} markers`);
    assert.equal(
      documented,
      renderWorkerSection(section),
      `docs/worker.md is out of date with worker-settings.ts: run ${REGENERATE_WORKER_SETTINGS}`,
    );
  }
});

test('the check notices a changed setting, and rewrites only between the markers', () => {
  const changed = WORKER_SETTINGS.map((setting): WorkerSetting =>
    setting.key === 'capacity' ? { ...setting, description: 'changed' } : setting,
  );
  assert.notEqual(renderWorkerSettingsTable(changed), renderWorkerSettingsTable());
  const document = withWorkerSettings(
    'a\n<!-- worker-settings:start -->\nold\n<!-- worker-settings:end -->\nb\n' +
      '<!-- worker-test-settings:start -->\n<!-- worker-test-settings:end -->\nc',
  );
  assert.equal(workerSectionText(document, 'settings'), renderWorkerSettingsTable());
  assert.equal(workerSectionText(document, 'testOnly'), renderWorkerTestOnlyTable());
  assert.match(document, /^a\n<!-- worker-settings:start -->\n\| key .*\nb\n.*\nc$/s);
  assert.throws(() => withWorkerSettings('no markers'), /no <!-- worker-settings:start -->/);
});

test('test-only switches are documented apart, never in the operator table', () => {
  const operator = renderWorkerSettingsTable();
  const testOnly = renderWorkerTestOnlyTable();
  for (const name of ['testOnlyTamperArtifact', 'weakenedForTests', 'BULWARK_TEST_ONLY_TAMPER']) {
    assert.ok(!operator.includes(name), `${name} is in the operator table`);
    assert.ok(testOnly.includes(`\`${name}\``), `${name} is not documented as test-only`);
  }
  const rows = operator.split('\n').slice(2);
  const operatorSettings = WORKER_SETTINGS.filter((s) => !('testOnly' in s));
  assert.equal(rows.length, operatorSettings.length);
  for (const [index, setting] of operatorSettings.entries()) {
    assert.ok(rows[index]?.startsWith(`| \`${setting.key}\` |`));
  }
});

test('the configuration accepts every declared key and refuses any other', async () => {
  await withConfig({ ...BASE, noSuchKey: 1 }, async (path) => {
    await assert.rejects(loadWorkerConfig(path, {}), /must NOT have additional properties/);
  });
  // Every declared default is the one the parser applies.
  const config = await withConfig(BASE, (path) => loadWorkerConfig(path, {}));
  const applied: Record<string, unknown> = {
    capacity: config.capacity,
    engine: config.engine,
    isolated: config.isolated,
    maxRunTime: config.limits.maxRunTime,
    shutdownGraceSeconds: config.shutdownGraceSeconds,
  };
  for (const setting of WORKER_SETTINGS as readonly WorkerSetting[]) {
    if (setting.defaultValue === undefined) continue;
    assert.equal(applied[setting.key], setting.defaultValue, `the default of ${setting.key}`);
  }
});

test('every declared environment variable overrides the file', async () => {
  const values: Record<string, string> = {
    rootUrl: 'http://127.0.0.2:9090',
    taskQueueId: 'other/queue',
    workerGroup: 'g2',
    workerId: 'w2',
    capacity: '3',
    engine: 'sandbox',
    dataDir: '/var/lib/other',
    credentialsFile: '/etc/bulwark/other.json',
  };
  const env: Record<string, string> = {};
  const declared = (WORKER_SETTINGS as readonly WorkerSetting[]).filter((s) => s.env);
  for (const setting of declared) env[setting.env as string] = values[setting.key] as string;
  const config = await withConfig(BASE, (path) => loadWorkerConfig(path, env));
  for (const setting of declared) {
    const value = (config as unknown as Record<string, unknown>)[setting.key];
    assert.equal(String(value), values[setting.key], `${setting.env} sets ${setting.key}`);
  }
});
