import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { verifyMinisign } from '@bulwark/attest';
import { PROVENANCE_ARTIFACT, VERIFICATION_ARTIFACT } from '@bulwark/queue-service';
import { downloadArtifact, startRunningTask } from '../queue/artifact-helpers.js';
import { queueClient, queueWith, startTestPlatform, type TestPlatform } from '../queue/harness.js';
import { provenanceOf } from '../queue/provenance-helpers.js';
import {
  claimOne,
  CREATOR_SCOPES,
  createQuorumTask,
  TRUSTED,
  worker,
} from '../queue/quorum-helpers.js';
import { attestationsOf, complete, refused, signingAs, signingClass } from './signing-helpers.js';

const run = promisify(execFile);
const MINISIGN = '/usr/bin/minisign';
const BINARY = Buffer.from('a reproducible release binary\n');
const REPORT = 'public/bulwark/quorum-report.json';

let platform: TestPlatform;
let Signing: any;
let creator: any;
let dir: string;
const KEYS = ['agreed', 'pair', 'single'] as const;

before(async () => {
  // The quorum queues are level 2 by the operator's word; every other queue is level 1.
  platform = await startTestPlatform({
    claimWorkTimeoutMs: 300,
    builderTrustLevels: [{ pattern: 'test-prov/quorum*', level: 2 }],
  });
  Signing = await signingClass(platform);
  creator = queueClient(platform, CREATOR_SCOPES);
  dir = await mkdtemp(join(tmpdir(), 'bulwark-signing-quorum-'));
  const admin = signingAs(Signing, platform, 'root');
  const base = { taskQueues: ['test-prov/*'] };
  await admin.createKey('agreed', {
    description: 'two agreeing replicas, one of them trusted',
    policy: { ...base, minLevel: 2, replicas: 2, trustedTaskQueueId: TRUSTED },
  });
  await admin.createKey('pair', {
    description: 'two agreeing replicas',
    policy: { ...base, minLevel: 1, replicas: 2 },
  });
  await admin.createKey('single', {
    description: 'one run',
    policy: { ...base, minLevel: 1, replicas: 1 },
  });
});
after(async () => {
  await platform.close();
  await rm(dir, { recursive: true, force: true });
});

test(
  'S16 S17: a 2-replica quorum’s agreed artifact is signed, and Debian’s minisign verifies it; a single run meets no replicas policy',
  { skip: existsSync(MINISIGN) ? false : 'minisign is not installed (system-packages --tests)' },
  async () => {
    const taskId = await createQuorumTask(creator, { replicas: 2, trustedTaskQueueId: TRUSTED });
    const a = await claimOne(platform, worker(platform, 'g', 'a'), taskId);
    const t = await claimOne(platform, worker(platform, 't', 't1', TRUSTED), taskId);
    await complete(platform, a, { 'public/app.bin': BINARY, 'public/logs/build.log': 'log a' });
    await complete(platform, t, { 'public/app.bin': BINARY, 'public/logs/build.log': 'log t' });
    await attestationsOf(platform, taskId);

    const signer = signingAs(Signing, platform, ['signing:sign:agreed', 'signing:sign:pair']);
    const file = join(dir, 'app.bin');
    await writeFile(file, BINARY);
    for (const keyId of ['agreed', 'pair']) {
      const signed = await signer.sign(keyId, { taskId, artifact: 'public/app.bin' });
      const key = await new Signing({ rootUrl: platform.rootUrl }).key(keyId);
      await writeFile(`${file}.minisig`, signed.signature);
      await writeFile(join(dir, `${keyId}.pub`), key.publicKeyFile);
      const { stdout } = await run(MINISIGN, ['-V', '-m', file, '-p', join(dir, `${keyId}.pub`)]);
      assert.match(stdout, /Signature and comment signature verified/);
      assert.match(stdout, new RegExp(`bulwark task ${taskId} artifact public/app.bin`));
    }
    // The log was not compared (logs differ by nature): no quorum vouches for it.
    await refused(signingAs(Signing, platform, 'root'), 'pair', taskId, 'public/logs/build.log');

    // The same bytes from one run on one worker: the replicas policies refuse them.
    const single = await startRunningTask(platform);
    await complete(platform, single, { 'public/app.bin': BINARY });
    await provenanceOf(platform, single.taskId);
    const root = signingAs(Signing, platform, 'root');
    assert.match(
      await refused(root, 'pair', single.taskId, 'public/app.bin'),
      /2 agreeing replica\(s\) required/,
    );
    assert.match(
      await refused(root, 'agreed', single.taskId, 'public/app.bin'),
      /trust level 1 < required 2/,
    );
    await root.sign('single', { taskId: single.taskId, artifact: 'public/app.bin' });
  },
);

test('S16 S17: a tampered replica fails the quorum, its report names the worker, and no key signs anything of the task', async () => {
  const taskId = await createQuorumTask(creator, { replicas: 2 });
  const honest = await claimOne(platform, worker(platform, 'g', 'honest'), taskId);
  const evil = await claimOne(platform, worker(platform, 'g', 'evil'), taskId);
  const tampered = Buffer.from(BINARY);
  tampered[0] = tampered[0]! ^ 1;
  await complete(platform, honest, { 'public/app.bin': BINARY });
  await complete(platform, evil, { 'public/app.bin': tampered });
  const { status } = await creator.status(taskId);
  assert.equal(status.state, 'failed');
  const queue = queueWith(platform, platform.root);
  const report = (await downloadArtifact(queue, taskId, undefined, REPORT)).data.toString();
  assert.match(report, /"public\/app\.bin"/);
  assert.match(report, /evil/, 'the report names the worker whose replica differs');

  // Every key, every artifact of the task, even with root's credentials: nothing is signed.
  const root = signingAs(Signing, platform, 'root');
  for (const keyId of KEYS) {
    for (const artifact of [
      'public/app.bin',
      REPORT,
      PROVENANCE_ARTIFACT,
      VERIFICATION_ARTIFACT,
      'public/logs/live_backing.log',
    ]) {
      assert.match(await refused(root, keyId, taskId, artifact), /no provenance/);
    }
  }
});

test('S17: a quorum whose trusted replica has not run yet gets no signature, with any key', async () => {
  const taskId = await createQuorumTask(creator, { replicas: 2, trustedTaskQueueId: TRUSTED });
  const mine = await claimOne(platform, worker(platform, 'g', 'mine'), taskId);
  await complete(platform, mine, { 'public/app.bin': 'a malicious binary\n' });
  const root = signingAs(Signing, platform, 'root');
  for (const keyId of KEYS) {
    assert.match(await refused(root, keyId, taskId, 'public/app.bin'), /no provenance/);
  }
  await creator.cancelTask(taskId);
});

test('S14 S17: a disabled key signs nothing, its public key stays served and marked, old signatures verify', async () => {
  const taskId = await createQuorumTask(creator, { replicas: 2 });
  const a = await claimOne(platform, worker(platform, 'g', 'd1'), taskId);
  const b = await claimOne(platform, worker(platform, 'g', 'd2'), taskId);
  await complete(platform, a, { 'public/app.bin': BINARY });
  await complete(platform, b, { 'public/app.bin': BINARY });
  await attestationsOf(platform, taskId);
  const root = signingAs(Signing, platform, 'root');
  const before = await root.sign('pair', { taskId, artifact: 'public/app.bin' });

  // Disabling takes its own scope: signing or creating keys is not enough.
  const manager = signingAs(Signing, platform, ['signing:sign:pair', 'signing:create-key:pair']);
  await assert.rejects(manager.disableKey('pair', { reason: 'rotated' }), {
    code: 'InsufficientScopes',
  });
  const disabler = signingAs(Signing, platform, ['signing:manage-key:pair']);
  const disabled = await disabler.disableKey('pair', { reason: 'rotated' });
  assert.ok(disabled.disabled, 'the answer marks the key disabled');
  assert.match(await refused(root, 'pair', taskId, 'public/app.bin'), /the key was disabled/);
  // Disabling again keeps the first time; the key is still served, marked.
  assert.equal(
    (await disabler.disableKey('pair', { reason: 'again' })).disabled,
    disabled.disabled,
  );
  const served = await new Signing({ rootUrl: platform.rootUrl }).key('pair');
  assert.equal(served.disabled, disabled.disabled);
  assert.ok(verifyMinisign(BINARY, before.signature, served.publicKey));
  const { rows } = await platform.db.pool.query(
    `SELECT details FROM (SELECT entity_type, entity_id, action, details FROM audit_log
       UNION ALL SELECT entity_type, entity_id, action, details FROM audit_pending) a
      WHERE entity_type = 'signing-key' AND entity_id = 'pair' AND action = 'disabled'`,
  );
  assert.equal(rows.length, 1, 'disabled once, audited once');
  assert.deepEqual(rows[0].details, { reason: 'rotated' });
});
