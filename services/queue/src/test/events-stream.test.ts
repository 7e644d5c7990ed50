// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EventStream } from '../events/event-stream.js';
import { historyOf, latestEventOf, parseEventId, type TaskEvent } from '../events/task-events.js';
import type { RunJson, TaskStatusJson } from '../domain/task-status.js';

const TASK_ID = 'aaaaaaaaaaaaaaaaaaaaaa';
const LIMITS = {
  heartbeatMs: 60_000,
  maxLifetimeMs: 60_000,
  maxBufferedBytes: 4096,
  retryMs: 1000,
};

function eventAt(position: number, taskId = TASK_ID): TaskEvent {
  return {
    exchange: 'task-pending',
    taskId,
    position,
    body: { version: 1, status: { taskId } as TaskStatusJson, task: { tags: {} } },
  };
}

function streamOf(closed: string[] = []): EventStream {
  return new EventStream({ taskId: TASK_ID }, 'client', LIMITS, (_s, why) =>
    closed.push(why ?? 'closed'),
  );
}

function read(stream: EventStream): string {
  let text = '';
  for (let chunk; (chunk = stream.readable.read() as Buffer | null) !== null;) {
    text += chunk.toString('utf8');
  }
  return text;
}

const ids = (text: string): string[] =>
  [...text.matchAll(/^id: (.*)$/gm)].map((m) => m[1]!.split('.')[1]!);

test('work queued before the stream starts runs after its catch-up; duplicates are dropped', async () => {
  const stream = streamOf();
  stream.enqueue(() => stream.send(eventAt(2)));
  stream.enqueue(() => stream.send(eventAt(1)));
  stream.start(async () => {
    stream.send(eventAt(0));
    stream.send(eventAt(1));
  });
  stream.enqueue(() => stream.send(eventAt(3)));
  await new Promise((resolve) => setTimeout(resolve, 10));
  const text = read(stream);
  assert.match(text, /^retry: 1000\n\n/);
  assert.deepEqual(ids(text), ['0', '1', '2', '3']);
  assert.match(text, /^event: task-pending$/m);
  stream.close();
});

test('Last-Event-ID: nothing at or before it is sent again', async () => {
  const stream = streamOf();
  stream.resumeAfter(TASK_ID, 4);
  stream.start(async () => {
    for (let p = 0; p <= 6; p++) stream.send(eventAt(p));
  });
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(ids(read(stream)), ['5', '6']);
  stream.close();
});

test('a client that does not read is cut off past its backlog, and leaves the bus', async () => {
  const closed: string[] = [];
  const stream = streamOf(closed);
  stream.start(async () => {
    for (let p = 0; p < 100; p++) stream.send(eventAt(p));
  });
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(stream.closed, true);
  assert.deepEqual(closed, ['client does not keep up']);
});

test('a failed catch-up ends the stream instead of leaving a gap', async () => {
  const closed: string[] = [];
  const stream = streamOf(closed);
  stream.start(() => Promise.reject(new Error('database down')));
  stream.enqueue(() => stream.send(eventAt(1)));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(stream.closed, true);
  assert.deepEqual(closed, ['catch-up failed']);
});

function run(runId: number, state: RunJson['state'], extra: Partial<RunJson> = {}): RunJson {
  return {
    runId,
    state,
    reasonCreated: 'scheduled',
    scheduled: '2030-01-01T00:00:00.000Z',
    ...extra,
  };
}

test('a task’s history is rebuilt from its runs, with monotonic positions', () => {
  const status = {
    taskId: TASK_ID,
    state: 'pending',
    runs: [
      run(0, 'exception', { reasonResolved: 'claim-expired', started: 'x', workerId: 'w0' }),
      run(1, 'completed', {
        reasonCreated: 'retry',
        started: 'x',
        workerGroup: 'g',
        workerId: 'w1',
      }),
      run(2, 'pending', { reasonCreated: 'rerun' }),
    ],
  } as TaskStatusJson;
  const task = { taskId: TASK_ID, tags: { a: 'b' } } as never;
  const history = historyOf({ task, status });
  assert.deepEqual(
    history.map((e) => [e.exchange, e.position]),
    [
      ['task-defined', 0],
      ['task-pending', 1],
      ['task-running', 2],
      ['task-exception', 3],
      ['task-pending', 4],
      ['task-running', 5],
      ['task-completed', 6],
      ['task-pending', 7],
    ],
  );
  assert.equal(history[6]?.body.workerId, 'w1');
  assert.equal(history[7]?.body.workerId, undefined);
  assert.deepEqual(history[0]?.body.task, { tags: { a: 'b' } });
  assert.equal(latestEventOf({ task, status }).position, 7);

  // Canceled before it was scheduled: the run is born resolved.
  const canceled = {
    taskId: TASK_ID,
    state: 'exception',
    runs: [run(0, 'exception', { reasonCreated: 'exception', reasonResolved: 'canceled' })],
  } as TaskStatusJson;
  assert.deepEqual(
    historyOf({ task, status: canceled }).map((e) => [e.exchange, e.position]),
    [
      ['task-defined', 0],
      ['task-exception', 3],
    ],
  );
});

test('event ids are parsed strictly', () => {
  assert.deepEqual(parseEventId(`${TASK_ID}.12`), { taskId: TASK_ID, position: 12 });
  for (const bad of [`${TASK_ID}`, `${TASK_ID}.`, `${TASK_ID}.01`, `${TASK_ID}.123456`, '../x.1']) {
    assert.equal(parseEventId(bad), undefined, bad);
  }
});
