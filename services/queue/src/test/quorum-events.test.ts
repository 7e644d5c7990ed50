// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { statusAt } from '../events/task-events.js';
import type { TaskStatusJson } from '../domain/task-status.js';

const run = (runId: number, state: string, replica: number) => ({
  runId,
  state,
  replica,
  reasonCreated: 'scheduled',
  scheduled: '2030-01-01T00:00:00.000Z',
  ...(state === 'pending' ? {} : { started: '2030-01-01T00:00:01.000Z', workerId: `w${runId}` }),
});

const quorumStatus = (decided: boolean, state: string): TaskStatusJson =>
  ({
    taskId: 'T',
    state,
    runs: [run(0, 'completed', 0), run(1, decided ? 'completed' : 'running', 1)],
    quorum: { required: 2, distinctBy: 'workerId', decided, replicas: [] },
  }) as unknown as TaskStatusJson;

test('S17: a message about one replica’s resolution never says the quorum task resolved', () => {
  // Replica 0 completed while replica 1 runs: the message about it says running.
  assert.equal(statusAt(quorumStatus(false, 'running'), 'completed', 0).state, 'running');
  // Once decided, a resolution's message carries the decision, whatever the run's state.
  assert.equal(statusAt(quorumStatus(true, 'failed'), 'completed', 1).state, 'failed');
  // A claim's message says running, a new replica's pending only if nothing runs yet.
  assert.equal(statusAt(quorumStatus(true, 'failed'), 'running', 1).state, 'running');
  const ordinary = { taskId: 'T', state: 'completed', runs: [run(0, 'completed', 0)] };
  assert.equal(statusAt(ordinary as unknown as TaskStatusJson, 'completed', 0).state, 'completed');
});
