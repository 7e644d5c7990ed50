import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseGroupSealed } from './queue-events.js';

const GROUP = 'Mu5Zb3LkSDqmXfZQY9lTcg';

test('a group notification is read only when it is exactly what sealTaskGroup sends', () => {
  assert.deepEqual(parseGroupSealed(JSON.stringify({ taskGroupId: GROUP })), {
    taskGroupId: GROUP,
  });
  for (const bad of [
    undefined,
    'not json',
    'null',
    '[]',
    JSON.stringify({ taskGroupId: '../etc' }),
    JSON.stringify({ taskGroupId: GROUP, extra: 1 }),
    JSON.stringify({ taskGroupId: 42 }),
    JSON.stringify({ taskGroupId: GROUP, pad: 'x'.repeat(300) }),
  ]) {
    assert.equal(parseGroupSealed(bad), undefined, String(bad));
  }
});
