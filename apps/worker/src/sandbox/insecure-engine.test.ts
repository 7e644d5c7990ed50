import { strict as assert } from 'node:assert';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createEngine, EngineRefused } from './create-engine.js';
import { engineContract, runThrough } from './engine-contract.js';
import { InsecureEngine } from './insecure-engine.js';

const engine = new InsecureEngine();
let scratch: string;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bulwark-insecure-'));
  await chmod(scratch, 0o711);
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

engineContract('insecure', () => ({ engine, scratch, insecure: true }));

test('S9: the insecure engine refuses a network policy or a proxy rather than run without them', async () => {
  const allowlist = await runThrough(engine, scratch, [['true']], {
    network: { mode: 'allowlist', allow: [{ host: '198.18.0.1', port: 80 }] },
  });
  assert.equal(allowlist.outcome, 'failed-to-start');
  assert.equal(allowlist.insecure, true);
  const proxied = await runThrough(engine, scratch, [['true']], { proxySocket: '/nonexistent' });
  assert.equal(proxied.outcome, 'failed-to-start');
});

test('S9: an isolated pool never gets the insecure engine, and nobody gets it unasked', () => {
  const sandbox = { cgroupVersion: 1 as const, prefix: 'unused', uid: 61000, gid: 61000 };
  assert.throws(
    () => createEngine({ engine: 'insecure', isolatedPool: true, allowInsecure: true, sandbox }),
    EngineRefused,
  );
  assert.throws(
    () => createEngine({ engine: 'insecure', isolatedPool: false, allowInsecure: false, sandbox }),
    /--allow-insecure/,
  );
  const made = createEngine({
    engine: 'insecure',
    isolatedPool: false,
    allowInsecure: true,
    sandbox,
  });
  assert.equal(made.name, 'insecure');
});
