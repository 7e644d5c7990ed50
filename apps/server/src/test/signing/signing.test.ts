import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import taskcluster from 'taskcluster-client';
import { verifyMinisign } from '@bulwark/attest';
import { startRunningTask, uploadArtifact, type RunningTask } from '../queue/artifact-helpers.js';
import { startTestPlatform, type TestPlatform } from '../queue/harness.js';
import { provenanceOf } from '../queue/provenance-helpers.js';

const run = promisify(execFile);
const MINISIGN = '/usr/bin/minisign';
const BINARY = Buffer.from('a release binary\n');

let platform: TestPlatform;
let dir: string;
let Signing: ReturnType<typeof taskcluster.createClient>;
let completed: RunningTask;
let running: RunningTask;

const signingAs = (scopes: string[] | 'root'): any =>
  new Signing({
    rootUrl: platform.rootUrl,
    credentials:
      scopes === 'root'
        ? platform.root
        : taskcluster.createTemporaryCredentials({
            expiry: new Date(Date.now() + 3600_000),
            scopes,
            credentials: platform.root,
          }),
  });

const policy = (over: Record<string, unknown> = {}) => ({
  minLevel: 1,
  replicas: 1,
  taskQueues: ['test-prov/*'],
  ...over,
});

before(async () => {
  platform = await startTestPlatform();
  dir = await mkdtemp(join(tmpdir(), 'bulwark-signing-'));
  const reference: unknown = await (
    await fetch(`${platform.rootUrl}/api/signing/v1/reference`)
  ).json();
  Signing = taskcluster.createClient(reference);
  const admin = signingAs('root');
  await admin.createKey('nightly', { description: 'nightly builds', policy: policy() });
  await admin.createKey('release', { description: 'releases', policy: policy({ minLevel: 3 }) });
  await admin.createKey('quorum', { description: 'agreed', policy: policy({ replicas: 3 }) });
  await admin.createKey('elsewhere', {
    description: 'another project',
    policy: policy({ taskQueues: ['other-prov/*'] }),
  });
  completed = await startRunningTask(platform);
  await uploadArtifact(platform, completed, 'public/app.bin', BINARY);
  await completed.run.reportCompleted(completed.taskId, completed.runId);
  await provenanceOf(platform, completed.taskId);
  running = await startRunningTask(platform);
  await uploadArtifact(platform, running, 'public/app.bin', BINARY);
});
after(async () => {
  await platform.close();
  await rm(dir, { recursive: true, force: true });
});

let signed: { signature: string };
let key: { publicKey: string; publicKeyFile: string };

test('S17: a key signs an artifact whose provenance meets its policy, naming it in the trusted comment', async () => {
  const signer = signingAs(['signing:sign:nightly']);
  signed = await signer.sign('nightly', { taskId: completed.taskId, artifact: 'public/app.bin' });
  key = await new Signing({ rootUrl: platform.rootUrl }).key('nightly');
  assert.match(
    signed.signature,
    /trusted comment: bulwark task \S+ artifact public\/app.bin sha256 [0-9a-f]{64} key nightly/,
  );
  assert.ok(verifyMinisign(BINARY, signed.signature, key.publicKey));
});

test(
  'S17: Debian’s minisign verifies the signature, and refuses it for other content',
  {
    skip: existsSync(MINISIGN)
      ? false
      : 'minisign is not installed (scripts/system-packages.sh --tests)',
  },
  async () => {
    const file = join(dir, 'app.bin');
    await writeFile(file, BINARY);
    await writeFile(`${file}.minisig`, signed.signature);
    await writeFile(join(dir, 'nightly.pub'), key.publicKeyFile);
    const { stdout } = await run(MINISIGN, ['-V', '-m', file, '-p', join(dir, 'nightly.pub')]);
    assert.match(stdout, /Signature and comment signature verified/);
    await writeFile(file, 'a malicious binary\n');
    await assert.rejects(run(MINISIGN, ['-V', '-m', file, '-p', join(dir, 'nightly.pub')]));
  },
);

test('S16 S17: no signature when the policy does not hold, without the scope, or without provenance; each refusal audited', async () => {
  const root = signingAs('root');
  const refused = async (keyId: string, taskId: string, reason: RegExp) =>
    assert.rejects(root.sign(keyId, { taskId, artifact: 'public/app.bin' }), (err: any) => {
      assert.equal(err.code, 'RequestConflict');
      assert.match(err.message, reason);
      return true;
    });
  await refused('release', completed.taskId, /trust level 1 < required 3/);
  await refused('quorum', completed.taskId, /3 agreeing replica\(s\) required/);
  await refused('elsewhere', completed.taskId, /test-prov\/test-worker are not among the queues/);
  // A running task has no provenance: nothing a worker uploads can be signed before it.
  await refused('nightly', running.taskId, /no provenance/);
  // A try-level client (no signing scope) gets nothing, whatever the key.
  for (const keyId of ['nightly', 'release']) {
    await assert.rejects(
      signingAs(['queue:create-task:*']).sign(keyId, {
        taskId: completed.taskId,
        artifact: 'public/app.bin',
      }),
      (err: any) => err.code === 'InsufficientScopes',
    );
  }
  await assert.rejects(
    signingAs(['signing:sign:nightly']).sign('release', {
      taskId: completed.taskId,
      artifact: 'public/app.bin',
    }),
    (err: any) => err.code === 'InsufficientScopes',
  );
  const { rows } = await platform.db.pool.query(
    `SELECT entity_id, action FROM (SELECT entity_id, action, entity_type FROM audit_log
       UNION ALL SELECT entity_id, action, entity_type FROM audit_pending) a
      WHERE entity_type = 'signing-key' AND action IN ('signed', 'refused')
      ORDER BY entity_id, action`,
  );
  const seen = new Set(rows.map((r: any) => `${r.entity_id} ${r.action}`));
  for (const entry of [
    'release refused',
    'quorum refused',
    'elsewhere refused',
    'nightly refused',
    'nightly signed',
  ]) {
    assert.ok(seen.has(entry), `audited: ${entry}`);
  }
});

test('S1: keys are served public only; a key’s policy never changes', async () => {
  const listed = await (await fetch(`${platform.rootUrl}/api/signing/v1/keys`)).text();
  assert.doesNotMatch(listed, /PRIVATE|"ciphertext"/);
  assert.equal((JSON.parse(listed) as { keys: unknown[] }).keys.length, 4);
  const admin = signingAs('root');
  await admin.createKey('nightly', { description: 'nightly builds', policy: policy() });
  await assert.rejects(
    admin.createKey('nightly', {
      description: 'nightly builds',
      policy: policy({ taskQueues: ['*'] }),
    }),
    (err: any) => err.code === 'RequestConflict',
  );
  const sealed = await platform.db.pool.query(`SELECT sealed_private_key FROM signing_keys`);
  for (const row of sealed.rows) assert.equal(row.sealed_private_key.v, 1);
  for (const line of platform.logLines) assert.doesNotMatch(line, /PRIVATE KEY/);
});
