import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { startQuorumPool } from './quorum-pool.js';

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

async function reportOf(pool: { queue: any }, taskId: string): Promise<any> {
  const url = pool.queue.buildSignedUrl(pool.queue.getLatestArtifact, taskId, REPORT);
  const response = await fetch(url, { redirect: 'follow' });
  assert.equal(response.status, 200);
  return response.json();
}

test('S17: two honest sandboxed workers agree, and the quorum task completes', async () => {
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
  } finally {
    await pool.stop();
  }
});

test('S17: a worker that flips one byte of an artifact makes the quorum fail, named in the report', async () => {
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
  } finally {
    await pool.stop();
  }
});
