// test-tier: unit
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { loadWorkerConfig, WorkerConfigError } from '../daemon/worker-config.js';
import { flipFirstByte } from './tamper.js';

const BASE = {
  rootUrl: 'http://127.0.0.1:8080/',
  taskQueueId: 'local/default',
  workerGroup: 'local',
  workerId: 'w1',
  dataDir: '/var/lib/bulwark-worker',
  credentialsFile: '/etc/bulwark/worker.json',
  testOnlyTamperArtifact: 'public/app.bin',
};

test('S17: the test-only tamper switch is refused unless BULWARK_TEST_ONLY_TAMPER=1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bulwark-tamper-'));
  try {
    const file = join(dir, 'config.json');
    await writeFile(file, JSON.stringify(BASE));
    for (const env of [
      {},
      { BULWARK_TEST_ONLY_TAMPER: '0' },
      { BULWARK_TEST_ONLY_TAMPER: 'yes' },
    ]) {
      await assert.rejects(loadWorkerConfig(file, env), (err: unknown) => {
        assert.ok(err instanceof WorkerConfigError);
        assert.match(err.message, /test-only switch .* BULWARK_TEST_ONLY_TAMPER=1/);
        return true;
      });
    }
    const config = await loadWorkerConfig(file, { BULWARK_TEST_ONLY_TAMPER: '1' });
    assert.equal(config.testOnlyTamperArtifact, 'public/app.bin');
    const ordinary: Partial<typeof BASE> = { ...BASE };
    delete ordinary.testOnlyTamperArtifact;
    await writeFile(file, JSON.stringify(ordinary));
    assert.equal('testOnlyTamperArtifact' in (await loadWorkerConfig(file, {})), false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the switch flips exactly the first byte and keeps the length', async () => {
  const chunks: Buffer[] = [];
  const source = Readable.from([Buffer.from(''), Buffer.from('ab'), Buffer.from('cd')]);
  for await (const chunk of flipFirstByte(source)) chunks.push(chunk as Buffer);
  const out = Buffer.concat(chunks);
  assert.equal(out.length, 4);
  assert.deepEqual([...out], ['a'.charCodeAt(0) ^ 0xff, ...Buffer.from('bcd')]);
});
