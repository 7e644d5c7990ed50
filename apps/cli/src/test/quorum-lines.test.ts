// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { quorumLines } from '../commands/quorum-lines.js';

test('task status shows a quorum’s replicas, workers and digests in plain words', () => {
  const lines = quorumLines({
    required: 2,
    distinctBy: 'workerId',
    trustedTaskQueueId: 'p/trusted',
    decided: true,
    reason: 'differed',
    message: 'artifact public/app differs: replica 0 on g/a has aaa, replica 1 on t/b has bbb',
    replicas: [
      {
        replica: 0,
        trusted: false,
        taskQueueId: 'p/q',
        runId: 0,
        state: 'completed',
        workerGroup: 'g',
        workerId: 'a',
        artifacts: [{ name: 'public/app', sha256: 'a'.repeat(64), agreed: false }],
      },
      {
        replica: 1,
        trusted: true,
        taskQueueId: 'p/trusted',
        runId: 1,
        state: 'completed',
        workerGroup: 't',
        workerId: 'b',
        artifacts: [{ name: 'public/app', sha256: null, agreed: false }],
      },
    ],
  });
  assert.deepEqual(lines, [
    'verified by 2 replicas on distinct workers, one of them from the trusted queue p/trusted',
    'decision: the replicas’ artifacts differ',
    '  artifact public/app differs: replica 0 on g/a has aaa, replica 1 on t/b has bbb',
    'replica 0: completed on worker g/a, run 0, from p/q',
    `  public/app  sha256 ${'a'.repeat(64)}  (DIFFERS)`,
    'replica 1 (trusted): completed on worker t/b, run 1, from p/trusted',
    '  public/app  missing  (DIFFERS)',
  ]);
  const waiting = quorumLines({
    required: 3,
    distinctBy: 'workerGroup',
    decided: false,
    replicas: [{ replica: 0, trusted: false, taskQueueId: 'p/q', runId: 0, state: 'pending' }],
  });
  assert.deepEqual(waiting.slice(0, 3), [
    'verified by 3 replicas on distinct worker groups',
    'decision: not yet, waiting for every replica to complete',
    'replica 0: pending, run 0, from p/q',
  ]);
});
