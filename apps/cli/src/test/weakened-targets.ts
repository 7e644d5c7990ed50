import { strict as assert } from 'node:assert';
import taskcluster from 'taskcluster-client';
import type { ExerciseReport } from '@bulwark/exercise';
import type { WeakenedForTests } from '@bulwark/worker';
import { breached, type Ran } from './exercise-command.js';
import type { HostFacts } from './host-facts.js';
import { startInsecurePool } from './insecure-pool.js';
import { startWeakenedPool } from './weakened-pool.js';

// The exercise against deliberately weakened targets, for exercise.test.ts: it must
// report exactly the breaches that match what is missing (it can fail).

/** The platform the targets serve, and the real `bulwark exercise` against it. */
export interface Platform {
  rootUrl: string;
  root: { clientId: string; accessToken: string };
  exercise: (args: string[]) => Promise<Ran>;
}

/** The insecure engine's pool: a worker with no sandbox at all (the development engine, S9). */
export async function againstInsecureEngine(on: Platform, facts: HostFacts): Promise<void> {
  const { rootUrl, root, exercise } = on;
  const pool = await startInsecurePool(rootUrl, root, `exercise-insecure-${process.pid}`);
  try {
    const goals = ['2', '5', '6', '8'].flatMap((goal) => ['--goal', goal]);
    const ran = await exercise(['--pool', pool.taskQueueId, ...goals, '--json']);
    const report = JSON.parse(ran.stdout) as ExerciseReport;
    assert.equal(ran.code, 1);
    assert.deepEqual(
      breached(report),
      [
        '2.env-proc-files',
        // Killed by process group, a daemon in a session of its own outlives the task (S6);
        // those that stay in the group die with it.
        '5.setsid',
        // No network namespace: the host's loopback, addresses and abstract sockets, and
        // the control plane around the proxy (S7); no seccomp: vsock.
        '6.abstract-unix',
        ...(facts.gateway ? ['6.gateway'] : []),
        ...(facts.address ? ['6.host-addresses'] : []),
        '6.loopback',
        ...(facts.metadataRoute ? ['6.metadata'] : []),
        '6.reach-control-plane',
        ...(facts.vsock ? ['6.vsock'] : []),
        // Run as the worker's user (root in CI), with nothing between it and the kernel.
        '8.devices',
        '8.mknod',
        '8.mount',
        '8.new-syscalls',
        '8.pid-namespace',
        '8.ptrace',
        '8.seccomp',
        '8.setuid',
        '8.shell-server',
        '8.unshare',
        '8.write-outside',
      ].sort(),
    );
    // The insecure engine offers no proxy: those attacks could not run, and say so.
    for (const id of ['2.proxy-answers', '6.proxy-path-spellings', '6.proxy-connect']) {
      assert.equal(report.results.find((r) => r.id === id)?.verdict, 'INCONCLUSIVE', id);
    }
    assert.ok(!ran.stdout.includes(root.accessToken), 'the report redacts what it found (S1)');
  } finally {
    await pool.stop();
  }
}

/**
 * The sandbox with single controls switched off (test-only): the exercise reports exactly
 * the attacks that test that control as breached, every other attack of those goals
 * blocked as against the real thing; each weakened task log says what was off, in a
 * line of the worker's, and so does the worker's own log.
 */
export async function againstWeakenedSandbox(
  on: Platform,
  name: string,
  weakened: WeakenedForTests,
  label: string,
  goals: number[],
): Promise<string[]> {
  const { rootUrl, root, exercise } = on;
  const pool = await startWeakenedPool(rootUrl, root, `exercise-${name}-${process.pid}`, weakened);
  try {
    const chosen = goals.flatMap((goal) => ['--goal', String(goal)]);
    const ran = await exercise(['--pool', pool.taskQueueId, ...chosen, '--json']);
    const report = JSON.parse(ran.stdout) as ExerciseReport;
    assert.equal(ran.code, 1, ran.stderr);
    const others = report.results.filter((r) => r.verdict !== 'BREACHED');
    assert.deepEqual(
      others.filter((r) => r.verdict !== 'BLOCKED').map((r) => `${r.id}: ${r.reason}`),
      [],
    );
    const warning = `WARNING: test-only weakened sandbox: ${label}`;
    // The switch never applies silently: the tasks it ran under say so in their logs.
    const taskIds = new Set(report.results.map((r) => r.evidence.taskId).filter(Boolean));
    assert.ok(taskIds.size > 0);
    const queue = new taskcluster.Queue({ rootUrl, credentials: root });
    for (const taskId of taskIds) {
      const url = queue.buildSignedUrl(queue.getLatestArtifact!, taskId, 'public/logs/live.log');
      const log = await (await fetch(url)).text();
      assert.ok(log.split('\n').includes(`[bulwark] ${warning}`), log.slice(0, 300));
    }
    // And the worker says so in its own log, structured.
    const said = pool.workerLog.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(
      said.some((line) => line.msg === warning && line.level === 40 && line.weakenedForTests),
      pool.workerLog.join(''),
    );
    assert.ok(!ran.stdout.includes(root.accessToken), 'the report redacts what it found (S1)');
    return breached(report);
  } finally {
    await pool.stop();
  }
}
