// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import pino from 'pino';
import { FeatureChain } from './feature-chain.js';
import type { TaskFeature, TaskRun } from './task-feature.js';

/** The part of a run the chain itself reads: its task id and logger. */
function fakeRun(): TaskRun {
  return {
    claim: { taskId: 'task-1' },
    logger: pino({ level: 'silent' }),
  } as unknown as TaskRun;
}

function recording(name: string, events: string[], enabled = true): TaskFeature {
  return {
    name,
    isEnabled: () => enabled,
    async start() {
      events.push(`start ${name}`);
      return {
        taskFinished: () => events.push(`finished ${name}`),
        async stop() {
          events.push(`stop ${name}`);
        },
      };
    },
  };
}

test('features start in order, hear the end of the task in order, and stop in reverse', async () => {
  const events: string[] = [];
  const chain = new FeatureChain(fakeRun());
  await chain.start([recording('a', events), recording('off', events, false)]);
  await chain.start([recording('b', events)]);
  chain.taskFinished();
  await chain.stop();
  assert.deepEqual(events, ['start a', 'start b', 'finished a', 'finished b', 'stop b', 'stop a']);
});

test('a feature that fails to start leaves the ones before it to be stopped', async () => {
  const events: string[] = [];
  const chain = new FeatureChain(fakeRun());
  const broken: TaskFeature = {
    name: 'broken',
    isEnabled: () => true,
    start: () => Promise.reject(new Error('cannot start')),
  };
  await assert.rejects(
    chain.start([recording('a', events), broken, recording('never', events)]),
    /cannot start/,
  );
  await chain.stop();
  assert.deepEqual(events, ['start a', 'stop a']);
});

test('a feature whose stop fails does not keep the others from stopping, and stops once', async () => {
  const events: string[] = [];
  const chain = new FeatureChain(fakeRun());
  chain.adopt('first', { stop: async () => void events.push('stop first') });
  chain.adopt('failing', { stop: () => Promise.reject(new Error('busy')) });
  await chain.start([recording('last', events)]);
  await chain.stop();
  await chain.stop();
  assert.deepEqual(events, ['start last', 'stop last', 'stop first']);
});
