import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { verifyAttestations } from '@bulwark/attest';
import { PROVENANCE_ARTIFACT, VERIFICATION_ARTIFACT } from '@bulwark/queue-service';
import { downloadArtifact, uploadArtifact, type RunningTask } from '../queue/artifact-helpers.js';
import {
  newTaskId,
  queueClient,
  queueWith,
  startTestPlatform,
  taskDefinition,
  type TestPlatform,
} from '../queue/harness.js';
import { provenanceOf, servedKeys } from '../queue/provenance-helpers.js';
import {
  claimOne,
  CREATOR_SCOPES,
  createQuorumTask,
  QUEUE,
  TRUSTED,
  worker,
} from '../queue/quorum-helpers.js';
import { attestationsOf, complete, refused, signingAs, signingClass } from './signing-helpers.js';

/** The try queue: level 1, the red team's own. */
const TRY = 'test-prov/try';
const BINARY = Buffer.from('the victim’s reproducible release\n');
const MALICIOUS = Buffer.from('a malicious binary\n');
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** What a try push of a level-1 repository holds, plus a worker of its own in two pools. */
const TRY_LEVEL_SCOPES = [
  `queue:create-task:highest:${TRY}`,
  'queue:create-task:project:none',
  'queue:scheduler-id:-',
  'queue:get-artifact:public/*',
  'queue:status:*',
  'queue:list-artifacts:*',
  `queue:claim-work:${TRY}`,
  `queue:claim-work:${QUEUE}`,
  'queue:worker-id:red/*',
];

let platform: TestPlatform;
let Signing: any;
let victim: { taskId: string; provenance: Buffer; summary: Buffer };
const KEYS = ['agreed', 'pair', 'single'] as const;

before(async () => {
  platform = await startTestPlatform({
    claimWorkTimeoutMs: 300,
    builderTrustLevels: [{ pattern: 'test-prov/quorum*', level: 2 }],
  });
  Signing = await signingClass(platform);
  const admin = signingAs(Signing, platform, 'root');
  await admin.createKey('agreed', {
    description: 'releases: two agreeing replicas, one trusted',
    policy: { minLevel: 2, replicas: 2, trustedTaskQueueId: TRUSTED, taskQueues: [QUEUE] },
  });
  await admin.createKey('pair', {
    description: 'two agreeing replicas, any test queue',
    policy: { minLevel: 1, replicas: 2, taskQueues: ['test-prov/*'] },
  });
  await admin.createKey('single', {
    description: 'one run, but only of the quorum queues',
    policy: { minLevel: 1, replicas: 1, taskQueues: ['test-prov/quorum*'] },
  });
  // The victim's release: a quorum with its trusted replica, signed by the release key.
  const creator = queueClient(platform, CREATOR_SCOPES);
  const taskId = await createQuorumTask(creator, { replicas: 2, trustedTaskQueueId: TRUSTED });
  const a = await claimOne(platform, worker(platform, 'g', 'a'), taskId);
  const t = await claimOne(platform, worker(platform, 't', 't1', TRUSTED), taskId);
  await complete(platform, a, { 'public/app.bin': BINARY });
  await complete(platform, t, { 'public/app.bin': BINARY });
  await attestationsOf(platform, taskId);
  await admin.sign('agreed', { taskId, artifact: 'public/app.bin' });
  const queue = queueWith(platform, platform.root);
  victim = {
    taskId,
    provenance: (await downloadArtifact(queue, taskId, undefined, PROVENANCE_ARTIFACT)).data,
    summary: (await downloadArtifact(queue, taskId, undefined, VERIFICATION_ARTIFACT)).data,
  };
});
after(() => platform.close());

const redTeamQueue = (): any => queueClient(platform, TRY_LEVEL_SCOPES);

/** The red team's task on its own level-1 queue, claimed by its own worker. */
async function tryTask(): Promise<RunningTask> {
  const taskId = newTaskId();
  await redTeamQueue().createTask(taskId, taskDefinition({ taskQueueId: TRY }));
  const own = queueClient(platform, TRY_LEVEL_SCOPES);
  return claimOne(platform, { group: 'red', id: 'w1', queue: TRY, client: own }, taskId);
}

test('S17: try-level credentials cannot ask for a signature, nor make or disable a key', async () => {
  const redTeam = signingAs(Signing, platform, TRY_LEVEL_SCOPES);
  for (const keyId of KEYS) {
    await refused(redTeam, keyId, victim.taskId, 'public/app.bin', 'InsufficientScopes');
    await assert.rejects(redTeam.disableKey(keyId, { reason: 'x' }), {
      code: 'InsufficientScopes',
    });
  }
  await assert.rejects(
    redTeam.createKey('mine', {
      description: 'a key of my own',
      policy: { minLevel: 1, replicas: 1, taskQueues: ['*'] },
    }),
    { code: 'InsufficientScopes' },
  );
});

test('S16 S17: a malicious binary of a level-1 task, with forged and replayed attestations beside it, is signed by no key', async () => {
  const mine = await tryTask();
  // The reserved names are refused to the run's credentials, however they are spelled.
  for (const name of [
    PROVENANCE_ARTIFACT,
    VERIFICATION_ARTIFACT,
    'Public/Bulwark/provenance.intoto.json',
    'public/bulwark/../bulwark/provenance.intoto.json',
  ]) {
    await assert.rejects(
      mine.run.createArtifact(mine.taskId, mine.runId, name, {
        storageType: 'object',
        expires: new Date(Date.now() + 3600_000).toJSON(),
        contentType: 'application/json',
      }),
      (err: any) => err.statusCode === 400,
      name,
    );
  }
  // The victim's real, control-plane-signed attestations replayed under names it can write,
  // and one with the subject's digest changed to the malicious binary's.
  const forged = JSON.parse(victim.provenance.toString()) as { payload: string };
  forged.payload = Buffer.from(
    Buffer.from(forged.payload, 'base64').toString().replaceAll(sha256(BINARY), sha256(MALICIOUS)),
  ).toString('base64');
  await complete(platform, mine, {
    'public/app.bin': MALICIOUS,
    'public/provenance.intoto.json': victim.provenance,
    'public/verification.intoto.json': victim.summary,
    'public/forged.intoto.json': JSON.stringify(forged),
    'public/bulwark.bin': MALICIOUS,
  });
  await provenanceOf(platform, mine.taskId);
  // Even a caller holding every sign scope gets nothing for it: the policy does not hold.
  const root = signingAs(Signing, platform, 'root');
  const reasons: Record<string, RegExp> = {
    agreed: /trust level 1 < required 2/,
    pair: /2 agreeing replica\(s\) required/,
    // Same bytes under another name are refused first by the subject's name.
    single: /test-prov\/try are not among the queues|names this content as public\/app.bin/,
  };
  for (const keyId of KEYS) {
    for (const artifact of [
      'public/app.bin',
      'public/bulwark.bin',
      'public/provenance.intoto.json',
      'public/verification.intoto.json',
    ]) {
      assert.match(await refused(root, keyId, mine.taskId, artifact), reasons[keyId]!);
    }
  }
  // Offline too: the victim's provenance names other bytes; the forged one fails its signature.
  const { keys } = await servedKeys(platform);
  const envelopes = [
    JSON.parse(victim.provenance.toString()),
    JSON.parse(victim.summary.toString()),
  ];
  const policy = { minLevel: 2, replicas: 2, trustedTaskQueueId: TRUSTED };
  assert.equal(
    verifyAttestations({ fileSha256: sha256(MALICIOUS), envelopes, keys, policy }).ok,
    false,
  );
  assert.equal(
    verifyAttestations({ fileSha256: sha256(MALICIOUS), envelopes: [forged], keys, policy }).ok,
    false,
  );
  assert.ok(verifyAttestations({ fileSha256: sha256(BINARY), envelopes, keys, policy }).ok);
});

test('S17: the same bytes as the victim’s release, built by a try task, are not signable: a provenance is its own task’s', async () => {
  const mine = await tryTask();
  await complete(platform, mine, { 'public/app.bin': BINARY });
  await provenanceOf(platform, mine.taskId);
  const root = signingAs(Signing, platform, 'root');
  assert.match(await refused(root, 'agreed', mine.taskId, 'public/app.bin'), /trust level 1/);
  assert.match(await refused(root, 'pair', mine.taskId, 'public/app.bin'), /replica/);
});

test('S16 S17: a replica the red team controls, disagreeing with the trusted one, fails the quorum: nothing is signed', async () => {
  const creator = queueClient(platform, CREATOR_SCOPES);
  const taskId = await createQuorumTask(creator, { replicas: 2, trustedTaskQueueId: TRUSTED });
  const own = queueClient(platform, TRY_LEVEL_SCOPES);
  const mine = await claimOne(
    platform,
    { group: 'red', id: 'w2', queue: QUEUE, client: own },
    taskId,
  );
  const trusted = await claimOne(platform, worker(platform, 't', 't2', TRUSTED), taskId);
  await uploadArtifact(platform, mine, 'public/app.bin', MALICIOUS);
  await mine.run.reportCompleted(taskId, mine.runId);
  const root = signingAs(Signing, platform, 'root');
  // Before the trusted replica: the quorum is undecided, there is no provenance.
  for (const keyId of KEYS) await refused(root, keyId, taskId, 'public/app.bin');
  await complete(platform, trusted, { 'public/app.bin': BINARY });
  assert.equal((await creator.status(taskId)).status.state, 'failed');
  for (const keyId of KEYS) {
    assert.match(await refused(root, keyId, taskId, 'public/app.bin'), /no provenance/);
  }
});

test('S1: no signing key’s private half is in a log, an API answer, an artifact or a database row in the clear', async () => {
  const signing = (platform.running.platform.running as any).signing;
  const { rows } = await platform.db.pool.query(
    'SELECT key_id, sealed_private_key FROM signing_keys',
  );
  assert.equal(rows.length, KEYS.length);
  const needles: string[] = [];
  for (const row of rows) {
    const pem: string = signing.context.keyring.openString(
      row.sealed_private_key,
      `signing-key:${row.key_id}`,
    );
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const seed = der.subarray(der.length - 32);
    needles.push(der.toString('base64'), seed.toString('base64'), seed.toString('hex'));
    needles.push(seed.toString('base64url'));
  }
  const anonymous = new Signing({ rootUrl: platform.rootUrl });
  const answers = [
    JSON.stringify(await anonymous.listKeys()),
    ...(await Promise.all(KEYS.map(async (k) => JSON.stringify(await anonymous.key(k))))),
    JSON.stringify(
      await signingAs(Signing, platform, 'root').sign('agreed', {
        taskId: victim.taskId,
        artifact: 'public/app.bin',
      }),
    ),
  ];
  // Every row of every table, as text: only the sealed form may be stored.
  const { rows: tables } = await platform.db.pool.query(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
  );
  const dump: string[] = [];
  for (const { tablename } of tables) {
    const { rows: all } = await platform.db.pool.query(`SELECT t::text AS t FROM "${tablename}" t`);
    dump.push(...all.map((r: any) => r.t as string));
  }
  const queue = queueWith(platform, platform.root);
  const artifacts = [PROVENANCE_ARTIFACT, VERIFICATION_ARTIFACT, 'public/app.bin'].map(
    async (name) => (await downloadArtifact(queue, victim.taskId, undefined, name)).data.toString(),
  );
  const haystacks: [string, string[]][] = [
    ['log', platform.logLines],
    ['API answer', answers],
    ['database row', dump],
    ['artifact', await Promise.all(artifacts)],
  ];
  for (const [where, texts] of haystacks) {
    for (const text of texts) {
      for (const needle of needles)
        assert.ok(!text.includes(needle), `a private key in a ${where}`);
    }
  }
});
