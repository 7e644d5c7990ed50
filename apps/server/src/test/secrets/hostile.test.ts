import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { request } from 'node:http';
import hawk from 'hawk';
import { MAX_SECRET_BYTES } from '@bulwark/secrets-service';
import {
  assertLogsClean,
  inOneDay,
  rootSecrets,
  secretHistory,
  secretName,
  secretValue,
  secretsWithScopes,
  startTestPlatform,
  type TestPlatform,
} from './harness.js';

let platform: TestPlatform;
let root: any;
before(async () => {
  platform = await startTestPlatform();
  root = rootSecrets(platform);
});
after(() => platform.close());

/** The parts of an error body that do not change between two identical requests. */
function stable(err: any): unknown {
  const requestInfo = { ...(err.body.requestInfo as Record<string, unknown>) };
  delete requestInfo.time;
  return {
    statusCode: err.statusCode,
    code: err.code,
    message: (err.body.message as string).replace(/\* time: .*/, ''),
    required: err.body.required,
    unsatisfied: err.body.unsatisfied,
    requestInfo,
  };
}

async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected the call to be refused');
}

/**
 * A request sent with its path exactly as given: fetch and the published client
 * resolve `.` and `..` segments themselves, a hostile client need not. Signed with
 * the root credentials, so only the name can be the reason for a refusal.
 */
async function raw(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const url = `${platform.rootUrl}${path}`;
  const { header } = hawk.client.header(url, method, {
    credentials: {
      id: platform.root.clientId,
      key: platform.root.accessToken,
      algorithm: 'sha256',
    },
  });
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const { hostname, port } = new URL(platform.rootUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        method,
        path,
        headers: {
          authorization: header,
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

test('S15/S4: a caller with secrets:get:a/* cannot read b/x nor a itself, and cannot tell whether b/x exists', async () => {
  const id = secretName(platform, '<id>');
  const a = `${id}-a`;
  const bx = `${id}-b/x`;
  const bMissing = `${id}-b/y`;
  await root.set(`${a}/x`, { secret: secretValue(platform), expires: inOneDay() });
  await root.set(a, { secret: secretValue(platform), expires: inOneDay() });
  await root.set(bx, { secret: secretValue(platform), expires: inOneDay() });

  const caller = secretsWithScopes(platform, [`secrets:get:${a}/*`]);
  assert.ok((await caller.get(`${a}/x`)).secret, 'the prefix it holds works');

  const deniedA = await rejection(caller.get(a));
  assert.equal(deniedA.statusCode, 403);
  assert.equal(deniedA.code, 'InsufficientScopes');

  const existing = await rejection(caller.get(bx));
  const missing = await rejection(caller.get(bMissing));
  assert.equal(existing.statusCode, 403);
  assert.equal(existing.code, 'InsufficientScopes');
  // Same answer for an existing and a missing name, up to the name itself.
  const normalize = (err: any, name: string): string =>
    JSON.stringify(stable(err)).replaceAll(name, '<name>');
  assert.equal(normalize(existing, bx), normalize(missing, bMissing));
  assert.ok(!JSON.stringify(existing.body).includes('token'), 'no value in the refusal');
});

test('S15: set and remove need secrets:set:<name>; get of a set-only caller is refused', async () => {
  const name = secretName(platform);
  await root.set(name, { secret: secretValue(platform), expires: inOneDay() });
  const setter = secretsWithScopes(platform, [`secrets:set:${name}`]);
  await assert.rejects(setter.get(name), { statusCode: 403 });
  const getter = secretsWithScopes(platform, [`secrets:get:${name}`]);
  await assert.rejects(getter.set(name, { secret: {}, expires: inOneDay() }), { statusCode: 403 });
  await assert.rejects(getter.remove(name), { statusCode: 403 });
  assert.ok((await root.get(name)).secret, 'nothing changed');
});

test('S11: values are stored sealed, never in clear', async () => {
  const name = secretName(platform);
  const value = secretValue(platform);
  await root.set(name, { secret: value, expires: inOneDay() });
  const { rows } = await platform.db.pool.query<{ row: string }>(
    `SELECT to_jsonb(s)::text AS row FROM secrets s WHERE name = $1`,
    [name],
  );
  assert.equal(rows.length, 1);
  assert.ok(!rows[0]!.row.includes(value.token as string), 'the value is not in the row');
  assert.match(rows[0]!.row, /"ciphertext"/);
});

test('S11: a sealed value copied onto another name fails to open and never yields the original', async () => {
  const source = secretName(platform, 'victim/<id>');
  const target = secretName(platform, 'attacker/<id>');
  const original = secretValue(platform);
  const own = secretValue(platform);
  await root.set(source, { secret: original, expires: inOneDay() });
  await root.set(target, { secret: own, expires: inOneDay() });
  const errorsBefore = platform.logLines.filter((l) => l.includes('"level":50')).length;

  await platform.db.pool.query(
    `UPDATE secrets SET sealed_value = (SELECT sealed_value FROM secrets WHERE name = $1)
      WHERE name = $2`,
    [source, target],
  );

  const err = await rejection(root.get(target));
  assert.equal(err.statusCode, 500);
  assert.equal(err.code, 'InternalServerError');
  assert.match(err.message, /failed authentication/);
  const body = JSON.stringify(err.body);
  assert.ok(!body.includes(original.token as string), 'the original value is not returned');
  assert.ok(!body.includes(own.token as string), 'nor the overwritten one');

  // The operator learns of it: an error log line (without the name, checked at the
  // end of this file) and an audit entry that names the secret.
  const errors = platform.logLines.filter((l) => l.includes('"level":50'));
  assert.ok(errors.length > errorsBefore, 'logged at error level');
  assert.ok(errors.some((l) => l.includes('failed authentication')));
  const history = await secretHistory(platform, target);
  assert.equal(history.at(-1)?.action, 'unreadable');

  assert.deepEqual((await root.get(source)).secret, original, 'the source still opens');
  await root.set(target, { secret: own, expires: inOneDay() });
  assert.deepEqual((await root.get(target)).secret, own, 'setting it again repairs it');
});

test('S11: a stored value that is not a sealed value at all is refused the same way', async () => {
  const name = secretName(platform);
  await root.set(name, { secret: secretValue(platform), expires: inOneDay() });
  await platform.db.pool.query(`UPDATE secrets SET sealed_value = '{"v":1}' WHERE name = $1`, [
    name,
  ]);
  await assert.rejects(root.get(name), { statusCode: 500, code: 'InternalServerError' });
});

test('S12: names with .. or . segments, empty segments or control characters are refused with 400', async () => {
  const bad = [
    '..',
    '.',
    'a/../b',
    'a/..',
    '../a',
    'a/./b',
    '/a',
    'a/',
    'a//b',
    'a\nb',
    'a\tb',
    'a\u0000b',
    'a\u007fb',
    'caf\u00e9',
    'x'.repeat(1025),
  ];
  for (const name of bad) {
    const path = `/api/secrets/v1/secret/${encodeURIComponent(name)}`;
    for (const [method, body] of [
      ['PUT', { secret: { a: 1 }, expires: inOneDay().toJSON() }],
      ['GET', undefined],
      ['DELETE', undefined],
    ] as const) {
      const { status, text } = await raw(method, path, body);
      assert.equal(status, 400, `${method} ${JSON.stringify(name)}: ${text.slice(0, 200)}`);
      assert.equal(JSON.parse(text).code, 'InvalidRequestArguments');
    }
  }
  const { rows } = await platform.db.pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM secrets WHERE name LIKE '%..%' OR name LIKE '%//%'`,
  );
  assert.equal(rows[0]!.n, '0', 'nothing was stored');
});

test('S12: a raw (unencoded) dot segment in the path is refused, not resolved', async () => {
  const name = secretName(platform, 'safe/<id>');
  await root.set(name, { secret: secretValue(platform), expires: inOneDay() });
  for (const path of [`x/../${name}`, `./${name}`, `${name}/.`]) {
    const { status } = await raw('GET', `/api/secrets/v1/secret/${path}`);
    assert.equal(status, 400, path);
  }
});

test('S12: names that only look unusual are accepted', async () => {
  for (const shape of ['<id>/a..b', '<id>/.hidden', '<id>/...', '<id> with spaces/~!@$&*()']) {
    const name = secretName(platform, shape);
    await root.set(name, { secret: { ok: true }, expires: inOneDay() });
    assert.deepEqual((await root.get(name)).secret, { ok: true });
  }
});

test(`S10: a value over ${MAX_SECRET_BYTES} bytes serialized is refused with 413 InputTooLarge`, async () => {
  const name = secretName(platform);
  // {"s":"…"} is 8 bytes of framing around the string.
  const fits = { s: 'x'.repeat(MAX_SECRET_BYTES - 8) };
  assert.equal(JSON.stringify(fits).length, MAX_SECRET_BYTES);
  await root.set(name, { secret: fits, expires: inOneDay() });
  assert.equal((await root.get(name)).secret.s.length, MAX_SECRET_BYTES - 8);

  const over = { s: 'x'.repeat(MAX_SECRET_BYTES - 7) };
  const err = await rejection(root.set(name, { secret: over, expires: inOneDay() }));
  assert.equal(err.statusCode, 413);
  assert.equal(err.code, 'InputTooLarge');
  assert.match(err.message, /65537 bytes of JSON; the limit is 65536/);
  assert.equal(err.body.requestInfo.payload.secret, '(OMITTED)');
  // Multi-byte characters count as the bytes they take.
  const wide = { s: '\u2603'.repeat(Math.ceil(MAX_SECRET_BYTES / 3)) };
  await assert.rejects(root.set(name, { secret: wide, expires: inOneDay() }), {
    statusCode: 413,
  });
  assert.equal((await root.get(name)).secret.s.length, MAX_SECRET_BYTES - 8, 'unchanged');

  const many = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]));
  await assert.rejects(root.set(name, { secret: many, expires: inOneDay() }), {
    statusCode: 413,
  });
});

test('S10: secret must be an object and expires a date-time', async () => {
  const name = secretName(platform);
  for (const body of [
    { secret: 'text', expires: inOneDay() },
    { secret: ['a'], expires: inOneDay() },
    { secret: null, expires: inOneDay() },
    { secret: {} },
    { expires: inOneDay() },
    { secret: {}, expires: 'tomorrow' },
    { secret: {}, expires: inOneDay(), extra: 1 },
  ]) {
    await assert.rejects(root.set(name, body), { statusCode: 400, code: 'InputValidationError' });
  }
});

test('S1: no secret name or value appears in any log line, whatever the outcome', () => {
  assertLogsClean(platform);
});
