import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { startQuorumPool, type QuorumPool } from './quorum-pool.js';

const run = promisify(execFile);

const resolved = (status: any): boolean =>
  ['completed', 'failed', 'exception'].includes(status.state);

// The same build on every replica: its output depends only on the task, except a
// stamp the task declares nondeterministic.
const BUILD = {
  command: [
    '/bin/sh',
    '-c',
    'mkdir -p out; printf "binary %s\\n" 42 > out/app.bin; date +%s%N > out/stamp; echo built',
  ],
  artifacts: [{ type: 'directory', path: 'out', name: 'public/out' }],
};
const VERIFY = { verification: { replicas: 2, nondeterministic: ['public/out/stamp'] } };
const APP = 'public/out/app.bin';
const APP_DIGEST = createHash('sha256').update('binary 42\n').digest('hex');
const REPORT = 'public/bulwark/quorum-report.json';

/** A release key whose policy asks for two agreeing replicas of this pool's tasks. */
async function createReleaseKey(pool: QuorumPool): Promise<string> {
  const keyId = 'release';
  await pool.signing.createKey(keyId, {
    description: 'releases of the quorum pool',
    policy: { minLevel: 1, replicas: 2, taskQueues: [pool.taskQueueId] },
  });
  return keyId;
}

/** Asks for a signature until the attestations are written (bounded); the answer or the refusal. */
async function signWhenAttested(
  pool: QuorumPool,
  keyId: string,
  taskId: string,
): Promise<{ signature?: string; refusal?: string }> {
  let refusal = '';
  for (let i = 0; i < 100; i++) {
    try {
      const { signature } = await pool.signing.sign(keyId, { taskId, artifact: APP });
      return { signature };
    } catch (err) {
      refusal = (err as Error).message;
      if ((err as { statusCode?: number }).statusCode !== 409) throw err;
    }
    await sleep(100);
  }
  return { refusal };
}

async function reportOf(pool: { queue: any }, taskId: string): Promise<any> {
  const url = pool.queue.buildSignedUrl(pool.queue.getLatestArtifact, taskId, REPORT);
  const response = await fetch(url, { redirect: 'follow' });
  assert.equal(response.status, 200);
  return response.json();
}

test('S17: two honest sandboxed workers agree, the quorum task completes, and its artifact gets a release signature minisign verifies', async () => {
  const pool = await startQuorumPool('agree', [
    { group: 'g', id: 'honest1' },
    { group: 'g', id: 'honest2' },
  ]);
  try {
    const taskId = await pool.createTask(BUILD, VERIFY);
    const status = await pool.waitFor(taskId, resolved);
    assert.equal(status.state, 'completed');
    assert.equal(status.quorum.reason, 'agreed');
    assert.deepEqual(status.quorum.replicas.map((r: any) => r.workerId).sort(), [
      'honest1',
      'honest2',
    ]);
    for (const replica of status.quorum.replicas) {
      assert.deepEqual(replica.artifacts, [{ name: APP, sha256: APP_DIGEST, agreed: true }]);
    }
    const report = await reportOf(pool, taskId);
    assert.equal(report.state, 'completed');
    assert.ok(report.ignored.includes('public/out/stamp'));
    assert.ok(report.ignored.includes('public/logs/live_backing.log'));

    // From the sandboxes to a release signature that the standard tool verifies.
    const keyId = await createReleaseKey(pool);
    const { signature, refusal } = await signWhenAttested(pool, keyId, taskId);
    assert.ok(signature, `signed once the quorum's attestations exist: ${refusal}`);
    const dir = await mkdtemp(join(tmpdir(), 'bulwark-quorum-sig-'));
    try {
      await writeFile(join(dir, 'app.bin'), 'binary 42\n');
      await writeFile(join(dir, 'app.bin.minisig'), signature);
      const key = await pool.signing.key(keyId);
      await writeFile(join(dir, 'release.pub'), key.publicKeyFile);
      const verified = await run('minisign', [
        '-V',
        '-m',
        join(dir, 'app.bin'),
        '-p',
        join(dir, 'release.pub'),
      ]);
      assert.match(verified.stdout, /Signature and comment signature verified/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  } finally {
    await pool.stop();
  }
});

test('S17: a worker that flips one byte of an artifact makes the quorum fail, named in the report, and nothing of it can be signed', async () => {
  const pool = await startQuorumPool('tamper', [
    { group: 'g', id: 'honest' },
    { group: 'g', id: 'evil', tamper: APP },
  ]);
  try {
    const taskId = await pool.createTask(BUILD, VERIFY);
    const status = await pool.waitFor(taskId, resolved);
    assert.equal(status.state, 'failed');
    assert.equal(status.quorum.reason, 'differed');
    const evil = status.quorum.replicas.find((r: any) => r.workerId === 'evil');
    const honest = status.quorum.replicas.find((r: any) => r.workerId === 'honest');
    assert.equal(honest.artifacts[0].sha256, APP_DIGEST);
    assert.notEqual(evil.artifacts[0].sha256, APP_DIGEST);
    const report = await reportOf(pool, taskId);
    assert.equal(report.reason, 'differed');
    assert.deepEqual(
      report.artifacts.filter((a: any) => !a.agreed).map((a: any) => a.name),
      [APP],
    );
    assert.match(
      report.message,
      new RegExp(`artifact ${APP} differs: .*replica ${evil.replica} on g/evil has [0-9a-f]{64}`),
    );
    // Nothing of it is ever signed: the quorum failed, so no provenance vouches for it.
    const keyId = await createReleaseKey(pool);
    const { signature, refusal } = await signWhenAttested(pool, keyId, taskId);
    assert.equal(signature, undefined, 'a tampered quorum must never be signed');
    assert.match(refusal ?? '', /provenance/i);
  } finally {
    await pool.stop();
  }
});
