// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { scanReceived } from '../goals/goal-10-received.js';
import type { ExerciseContext } from '../types.js';

const TOKEN = 'exercise-known-token-0123456789';
const NAME = 'exercise/abc/victim/deploy-key';

function context(logs: string[]): ExerciseContext {
  return {
    rootUrl: 'http://127.0.0.1:1',
    runId: 'abc',
    pool: 'p/q',
    redTeam: { clientId: 'r', accessToken: TOKEN },
    victims: {
      client: { clientId: 'v', accessToken: 'victim-token-0123456789' },
      secretName: NAME,
      secretValue: 'the victim value 0123',
      pool: 'x/y',
      pendingTaskId: 't',
    },
    knownTokens: [TOKEN],
    ownSecretPrefix: undefined,
    ownSecret: undefined,
    dataDir: undefined,
    restartCommand: undefined,
    logsRead: logs.map((log, index) => ({ taskId: `task${index}`, log })),
    signal: new AbortController().signal,
    progress: () => undefined,
  };
}

test('S1, S15: the scan of what the run read reports a credential, a value and a secret name in a worker line', () => {
  assert.equal(scanReceived(context(['hello\n[bulwark] exit code 0\n'])).verdict, 'BLOCKED');
  assert.equal(scanReceived(context([`token ${TOKEN}\n`])).verdict, 'BREACHED');
  assert.equal(scanReceived(context(['the victim value 0123'])).verdict, 'BREACHED');
  assert.equal(scanReceived(context([`[bulwark] fetched ${NAME}\n`])).verdict, 'BREACHED');
  // The task may print a name it was given; only the worker must never log one.
  assert.equal(scanReceived(context([`asked for ${NAME}\n`])).verdict, 'BLOCKED');
  assert.equal(scanReceived(context([])).verdict, 'INCONCLUSIVE');
  // The evidence never quotes what was found.
  const found = scanReceived(context([`token ${TOKEN}\n`]));
  assert.ok(!JSON.stringify(found).includes(TOKEN));
});
