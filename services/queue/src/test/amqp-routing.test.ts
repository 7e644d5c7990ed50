// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { redactedUrl } from '../events/amqp/broker.js';
import { ccRoutes, taskRoutingKey } from '../events/amqp/routing-key.js';
import type { TaskEvent } from '../events/task-events.js';

const TASK_ID = 'fN1SbArXTPSVFNUvaOlinQ';
const GROUP_ID = 'Mu5Zb3LkSDqmXfZQY9lTcg';

function event(body: Partial<TaskEvent['body']>, schedulerId = 'sched'): TaskEvent {
  return {
    exchange: 'task-running',
    taskId: TASK_ID,
    position: 2,
    body: {
      version: 1,
      status: {
        taskId: TASK_ID,
        provisionerId: 'prov',
        workerType: 'type',
        taskQueueId: 'prov/type',
        schedulerId,
        projectId: 'none',
        taskGroupId: GROUP_ID,
        deadline: '2030-01-01T00:00:00.000Z',
        expires: '2030-01-01T00:00:00.000Z',
        retriesLeft: 5,
        state: 'running',
        runs: [],
      },
      task: { tags: {} },
      ...body,
    },
  };
}

test('routing keys have every word in place, `_` for the missing ones', () => {
  assert.equal(
    taskRoutingKey(event({ runId: 3, workerGroup: 'g', workerId: 'w' })),
    `primary.${TASK_ID}.3.g.w.prov.type.sched.${GROUP_ID}._`,
  );
  assert.equal(taskRoutingKey(event({})), `primary.${TASK_ID}._._._.prov.type.sched.${GROUP_ID}._`);
  // runId 0 is a word, not a missing one; a dotted value would shift the words after it.
  assert.equal(
    taskRoutingKey(event({ runId: 0, workerId: 'a.b' }, '')),
    `primary.${TASK_ID}.0._._.prov.type._.${GROUP_ID}._`,
  );
});

test('CC routes are route.<r>, leaving out those too long for a routing key', () => {
  const long = 'é'.repeat(200); // 200 characters, 400 bytes
  assert.deepEqual(ccRoutes(['index.a.b', long, 'x'.repeat(249)]), {
    cc: ['route.index.a.b', `route.${'x'.repeat(249)}`],
    skipped: [long],
  });
  assert.deepEqual(ccRoutes([]), { cc: [], skipped: [] });
});

test('the broker URL is logged without its password', () => {
  const shown = redactedUrl('amqp://pulse:s3cr%40t@broker.example:5671/vhost?heartbeat=5');
  assert.equal(shown, 'amqp://pulse:***@broker.example:5671/vhost');
  assert.equal(redactedUrl('amqp://127.0.0.1'), 'amqp://127.0.0.1');
  assert.equal(redactedUrl('not a url'), '(unparseable AMQP URL)');
});
