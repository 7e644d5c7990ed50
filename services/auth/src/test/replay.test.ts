import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import hawk from 'hawk';
import { createPool } from '@bulwark/db';
import { ReplayGuard } from '../domain/replay-guard.js';
import { SignatureValidator } from '../domain/signature-validator.js';
import { startTestPlatform, type TestPlatform } from './harness.js';

// S13: a captured Hawk request is accepted once by the whole control plane: by
// every replica, and before and after any of them restarts. Each replica here is a
// real auth service with its own HTTP server and in-process state, on one database.

let primary: TestPlatform;
before(async () => {
  primary = await startTestPlatform();
});
after(() => primary.close());

const PATH = '/api/auth/v1/scopes/current';

interface Captured {
  authorization: string;
  /** The port the request was signed for: the load balancer's, as clients see it. */
  port: number;
}

/** A real Hawk header, signed by the hawk package as a client signs, for `platform`. */
function capture(platform: TestPlatform): Captured {
  const url = `${platform.rootUrl}${PATH}`;
  const { header } = hawk.client.header(url, 'GET', {
    credentials: {
      id: platform.root.clientId,
      key: platform.root.accessToken,
      algorithm: 'sha256',
    },
  });
  return { authorization: header, port: Number(new URL(url).port) };
}

/**
 * Sends the captured request, byte for byte, to `replica`, as a load balancer in
 * front of all replicas forwards it: with the port the client signed for.
 */
async function send(replica: TestPlatform, captured: Captured): Promise<Response> {
  return fetch(`${replica.rootUrl}${PATH}`, {
    headers: { authorization: captured.authorization, 'x-forwarded-port': String(captured.port) },
  });
}

async function assertRefusedAsReplay(res: Response): Promise<void> {
  assert.equal(res.status, 401);
  const body = (await res.json()) as { code: string; message: string };
  assert.equal(body.code, 'AuthenticationFailed');
  assert.match(body.message, /already used \(replay\)/);
}

test('S13: a request captured before a restart is refused after it', async () => {
  const first = await startTestPlatform({ replicaOf: primary });
  const captured = capture(first);
  assert.equal((await send(first, captured)).status, 200);
  // The process stops: its HTTP server, its auth service and its connections.
  await first.close();
  const restarted = await startTestPlatform({ replicaOf: primary });
  try {
    await assertRefusedAsReplay(await send(restarted, captured));
  } finally {
    await restarted.close();
  }
});

test('S13: a request accepted by one replica is refused by every other', async () => {
  const replica = await startTestPlatform({ replicaOf: primary });
  try {
    const captured = capture(primary);
    // The replica verifies the request as forwarded: it is a valid signature there.
    assert.equal((await send(primary, captured)).status, 200);
    await assertRefusedAsReplay(await send(replica, captured));
    await assertRefusedAsReplay(await send(primary, captured));
    // The other way round.
    const second = capture(primary);
    assert.equal((await send(replica, second)).status, 200);
    await assertRefusedAsReplay(await send(primary, second));
  } finally {
    await replica.close();
  }
});

test('S13: one request sent to two replicas at once is accepted once', async () => {
  const replica = await startTestPlatform({ replicaOf: primary });
  try {
    for (let round = 0; round < 10; round++) {
      const captured = capture(primary);
      const responses = await Promise.all(
        [primary, replica, primary, replica].map((to) => send(to, captured)),
      );
      const statuses = responses.map((res) => res.status).sort();
      assert.deepEqual(statuses, [200, 401, 401, 401], `round ${round}`);
      await Promise.all(responses.map((res) => res.arrayBuffer()));
    }
  } finally {
    await replica.close();
  }
});

test('S13: a request whose nonce cannot be recorded is not accepted', async () => {
  // A database that cannot be reached: the guard's connections are gone.
  const unreachable = createPool(primary.connectionString, { max: 1, allowExitOnIdle: true });
  await unreachable.end();
  const validator = new SignatureValidator({
    store: primary.auth.context.store,
    replayGuard: new ReplayGuard(unreachable, 300),
    skewSeconds: 300,
  });
  const captured = capture(primary);
  const request = {
    method: 'get',
    resource: PATH,
    host: '127.0.0.1',
    port: captured.port,
    authorization: captured.authorization,
  };
  // It fails (a 5xx over HTTP, which clients retry with a fresh signature), never succeeds.
  await assert.rejects(async () => validator.authenticate(request));
  // The same request is still fresh for the real guard: nothing was recorded.
  assert.equal((await send(primary, captured)).status, 200);
});
