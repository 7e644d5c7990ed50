import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import taskcluster from 'taskcluster-client';
import { generateSigningKey, publicKeyFromPem } from '@bulwark/attest';
import { CliHarness } from './harness.js';
import { startSandboxedPool, type SandboxedPool } from './sandboxed-pool.js';

const run = promisify(execFile);
const PROVENANCE = 'public/bulwark/provenance.intoto.json';
const MINISIGN = '/usr/bin/minisign';
const SECURESYSTEMSLIB = '/usr/lib/python3/dist-packages/securesystemslib/__init__.py';

let harness: CliHarness;
let pool: SandboxedPool;
let out: string;
let taskId: string;
let binary: string;
let provenanceFile: string;
let keysFile: string;

/** Waits (bounded) for the control plane to have written the task's provenance; its bytes. */
async function provenanceBytes(): Promise<Buffer> {
  const queue = new taskcluster.Queue({ rootUrl: harness.platform.rootUrl, retries: 0 });
  for (let i = 0; i < 200; i++) {
    const listed = (await queue.listLatestArtifacts!(taskId)) as { artifacts: { name: string }[] };
    if (listed.artifacts.some((a) => a.name === PROVENANCE)) {
      const url = queue.buildUrl(queue.getLatestArtifact!, taskId, PROVENANCE);
      return Buffer.from(await (await fetch(url)).arrayBuffer());
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no provenance after 10 s');
}

before(async () => {
  harness = await CliHarness.start();
  pool = await startSandboxedPool(harness, 'verify');
  out = await mkdtemp(join(tmpdir(), 'bulwark-cli-verify-'));
  const auth = new taskcluster.Auth({
    rootUrl: harness.platform.rootUrl,
    credentials: harness.root,
  });
  await auth.createRole!('anonymous', {
    scopes: ['queue:get-artifact:public/*', 'queue:list-artifacts:*'],
    description: 'public artifacts',
  });
  // The release key exists before the task runs: the S1 check below looks for it in the
  // task's reach (its output, the worker's files) too.
  const created = await harness.run([
    'signing',
    'create-key',
    'cli-release',
    '--description',
    'releases of the verify pool',
    '--task-queue',
    'proj-cli/*',
    '--min-level',
    '1',
    '--json',
  ]);
  assert.equal(created.code, 0, created.stderr);
  const ran = await harness.run([
    'task',
    'run',
    '--queue',
    pool.taskQueueId,
    '--json',
    '--out',
    join(out, 'run'),
    '--artifact',
    'dist/app.bin',
    '--',
    'sh',
    '-c',
    'mkdir dist; printf "a release binary" > dist/app.bin; env',
  ]);
  assert.equal(ran.code, 0, ran.stderr);
  taskId = (JSON.parse(ran.stdout) as { taskId: string }).taskId;
  binary = join(out, 'run', 'dist', 'app.bin');
  provenanceFile = join(out, 'provenance.intoto.json');
  await writeFile(provenanceFile, await provenanceBytes());
  keysFile = join(out, 'keys.pem');
  const keys = await harness.run(['provenance', 'keys', '--out', keysFile], { credentials: null });
  assert.equal(keys.code, 0, keys.stderr);
});

after(async () => {
  await pool.stop();
  await harness.stop();
  await rm(out, { recursive: true, force: true });
});

test('S17: a real task’s provenance verifies with bulwark verify, downloaded or given, and says what it checked', async () => {
  const byTask = await harness.run(['verify', binary, '--task', taskId, '--key', keysFile], {
    credentials: null,
  });
  assert.equal(byTask.code, 0, byTask.stdout + byTask.stderr);
  assert.match(byTask.stdout, /ok {4}signature: the DSSE signature verifies with key [0-9a-f]{64}/);
  assert.match(
    byTask.stdout,
    /ok {4}digest: the file's sha256 [0-9a-f]{64} is artifact public\/dist\/app.bin/,
  );
  assert.match(
    byTask.stdout,
    /built by .*\/worker-pool\/proj-cli\/verify \(trust level 1.*\) on verify\/w1/,
  );
  assert.match(byTask.stdout, /app.bin: verified/);
  const offline = await harness.run(
    [
      'verify',
      binary,
      '--provenance',
      provenanceFile,
      '--key',
      keysFile,
      '--min-level',
      '1',
      '--json',
    ],
    { credentials: null },
  );
  assert.equal(offline.code, 0, offline.stdout + offline.stderr);
  assert.equal((JSON.parse(offline.stdout) as { ok: boolean }).ok, true);
});

test('S17: a tampered provenance, another file, another key and an unmet policy are refused offline', async () => {
  const refused = async (args: string[], reason: RegExp): Promise<void> => {
    const result = await harness.run(['verify', ...args], { credentials: null });
    assert.equal(result.code, 1, `${args.join(' ')}\n${result.stdout}${result.stderr}`);
    assert.match(result.stdout, reason);
  };
  const envelope = JSON.parse(await readFile(provenanceFile, 'utf8')) as { payload: string };
  const statement = Buffer.from(envelope.payload, 'base64').toString();
  const tampered = join(out, 'tampered.json');
  await writeFile(
    tampered,
    JSON.stringify({
      ...envelope,
      payload: Buffer.from(
        statement.replace('"builderTrustLevel":1', '"builderTrustLevel":3'),
      ).toString('base64'),
    }),
  );
  await refused(
    [binary, '--provenance', tampered, '--key', keysFile],
    /NOT verified: no signature verifies/,
  );
  const other = join(out, 'other.bin');
  await writeFile(other, 'a malicious binary');
  await refused(
    [other, '--provenance', provenanceFile, '--key', keysFile],
    /NOT verified: the file's sha256 .* is not among/,
  );
  const otherKey = join(out, 'other.pem');
  await writeFile(otherKey, generateSigningKey().publicKeyPem);
  await refused(
    [binary, '--provenance', provenanceFile, '--key', otherKey],
    /NOT verified: no signature verifies/,
  );
  await refused(
    [binary, '--provenance', provenanceFile, '--key', keysFile, '--min-level', '2'],
    /builder trust level 1 < required 2/,
  );
  await refused(
    [binary, '--provenance', provenanceFile, '--key', keysFile, '--replicas', '2'],
    /2 agreeing replica\(s\) required/,
  );
  await refused(
    [
      binary,
      '--provenance',
      provenanceFile,
      '--key',
      keysFile,
      '--require-trusted-queue',
      'proj-cli/release',
    ],
    /no run on the trusted queue proj-cli\/release/,
  );
  const usage = await harness.run(['verify', binary, '--provenance', provenanceFile]);
  assert.equal(usage.code, 2, 'a given provenance needs the key one trusts');
});

/** securesystemslib 0.26 verifies Ed25519 itself; DSSE's PAE is computed here from the spec. */
const INDEPENDENT_CHECK = `
import base64, json, sys
from securesystemslib.signer import SSlibKey, Signature
envelope = json.load(open(sys.argv[1]))
key = SSlibKey.from_dict(sys.argv[2], {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": sys.argv[3]}})
payload = base64.b64decode(envelope["payload"])
ptype = envelope["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(payload), payload)
sig = envelope["signatures"][0]
assert sig["keyid"] == key.keyid, "another key id"
key.verify_signature(Signature(sig["keyid"], base64.b64decode(sig["sig"]).hex()), pae)
print("securesystemslib: signature verified")
`;

test(
  'S17: the provenance verifies with an independent implementation (python3-securesystemslib)',
  {
    skip: existsSync(SECURESYSTEMSLIB)
      ? false
      : 'python3-securesystemslib is not installed (scripts/system-packages.sh --tests)',
  },
  async () => {
    const pem = (await readFile(keysFile, 'utf8')).match(
      /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/,
    )![0];
    const key = publicKeyFromPem(pem);
    const check = (file: string) =>
      run('/usr/bin/python3', ['-c', INDEPENDENT_CHECK, file, key.keyId, key.publicKeyHex]);
    const { stdout } = await check(provenanceFile);
    assert.match(stdout, /signature verified/);
    await assert.rejects(
      check(join(out, 'tampered.json')),
      /UnverifiedSignatureError|Exception|Error/,
    );
  },
);

test(
  'S17: bulwark sign writes a signature Debian’s minisign verifies with the key’s .pub; a disabled key signs nothing',
  { skip: existsSync(MINISIGN) ? false : 'minisign is not installed (system-packages --tests)' },
  async () => {
    const sig = join(out, 'app.bin.minisig');
    const signed = await harness.run([
      'sign',
      '--task',
      taskId,
      '--artifact',
      'public/dist/app.bin',
      '--key',
      'cli-release',
      '-o',
      sig,
    ]);
    assert.equal(signed.code, 0, signed.stderr);
    assert.match(signed.stdout, /minisign -V -m app.bin -x .*app.bin.minisig -p cli-release.pub/);
    const pub = join(out, 'cli-release.pub');
    const shown = await harness.run(['signing', 'keys', 'cli-release', '--pub', pub], {
      credentials: null,
    });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /agreeing replicas\s+1/);
    const { stdout } = await run(MINISIGN, ['-V', '-m', binary, '-x', sig, '-p', pub]);
    assert.match(stdout, new RegExp(`Signature and comment signature verified[\\s\\S]*${taskId}`));

    const listed = await harness.run(['signing', 'keys', '--json'], { credentials: null });
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { keys: { keyId: string }[] }).keys.map((k) => k.keyId),
      ['cli-release'],
    );
    const disabled = await harness.run([
      'signing',
      'disable-key',
      'cli-release',
      '--reason',
      'test',
    ]);
    assert.equal(disabled.code, 0, disabled.stderr);
    const again = await harness.run([
      'sign',
      '--task',
      taskId,
      '--artifact',
      'public/dist/app.bin',
      '--key',
      'cli-release',
      '-o',
      join(out, 'refused.minisig'),
    ]);
    assert.equal(again.code, 6, again.stderr);
    assert.match(again.stderr, /RequestConflict.*the key was disabled/);
    // The old signature still verifies with the still-served public key.
    await run(MINISIGN, ['-V', '-m', binary, '-x', sig, '-p', pub]);
  },
);

test('S1: the provenance and signing keys are in no worker file, task output or CLI transcript', async () => {
  const queue = harness.platform.running.queue!;
  const key = await queue.context.provenance.keys.current(queue.context.pool, new Date());
  const pem = key.exportPrivatePem();
  const body = pem.split('\n').slice(1, -2).join('');
  const seed = Buffer.from(body, 'base64').subarray(-32);
  const secrets = [body, seed.toString('hex'), seed.toString('base64')];
  const signing = (harness.platform.running as any).signing;
  const { rows } = await queue.context.pool.query(
    'SELECT key_id, sealed_private_key FROM signing_keys',
  );
  assert.equal(rows.length, 1, 'the release key made before the task ran');
  for (const row of rows) {
    const signingPem: string = signing.context.keyring.openString(
      row.sealed_private_key,
      `signing-key:${String(row.key_id)}`,
    );
    const der = Buffer.from(signingPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    secrets.push(der.toString('base64'), der.subarray(-32).toString('hex'));
    secrets.push(der.subarray(-32).toString('base64'));
  }
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && files.length < 10_000) files.push(path);
    }
  };
  await walk(pool.dataDir);
  for (const file of files) {
    const text = (await readFile(file).catch(() => Buffer.alloc(0))).toString('latin1');
    for (const secret of secrets) assert.ok(!text.includes(secret), `the key is in ${file}`);
  }
  const transcript = harness.transcript.join('\n');
  for (const secret of secrets) assert.ok(!transcript.includes(secret), 'the key is in CLI output');
});
