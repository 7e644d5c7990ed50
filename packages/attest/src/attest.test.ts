// test-tier: unit
import { createHash } from 'node:crypto';
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  envelopeDigest,
  envelopePayload,
  generateSigningKey,
  preAuthEncoding,
  publicKeyFromPem,
  serializeEnvelope,
  signEnvelope,
  signingKeyFromPem,
  slsaProvenance,
  SLSA_PROVENANCE_V1,
  SLSA_VSA_V1,
  statement,
  verificationSummary,
  verifyAttestations,
  type DsseEnvelope,
  type QuorumOutcome,
  type TaskBuild,
} from './index.js';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
const ROOT = 'https://ci.example.com';

function build(overrides: Partial<TaskBuild> = {}): TaskBuild {
  return {
    rootUrl: ROOT,
    taskId: 'aaaaaaaaaaaaaaaaaaaaaa',
    taskQueueId: 'proj/release',
    taskDefinition: { taskQueueId: 'proj/release', payload: { command: ['make'] } },
    trustLevel: 3,
    runs: [
      {
        runId: 0,
        workerGroup: 'g',
        workerId: 'w1',
        taskQueueId: 'proj/release',
        started: '2030-01-01T00:00:00.000Z',
        resolved: '2030-01-01T00:01:00.000Z',
      },
    ],
    dependencies: [],
    provenanceArtifactName: 'public/bulwark/provenance.intoto.json',
    ...overrides,
  };
}

function signedProvenance(
  key = generateSigningKey(),
  b = build(),
  subjects = [{ name: 'public/app', digest: { sha256: sha('app') } }],
): DsseEnvelope {
  const payload = Buffer.from(
    JSON.stringify(statement(subjects, SLSA_PROVENANCE_V1, slsaProvenance(b))),
  );
  return signEnvelope(payload, key);
}

test('PAE is byte for byte the DSSE specification’s encoding', () => {
  // The example of the DSSE protocol document.
  assert.equal(
    preAuthEncoding('http://example.com/HelloWorld', Buffer.from('hello world')).toString(),
    'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
  );
  // Lengths are in bytes, not characters.
  assert.equal(preAuthEncoding('t', Buffer.from('é')).toString('latin1'), 'DSSEv1 1 t 2 Ã©');
});

test('a key survives export and import with the same key id, which is the sha256 of the raw key', () => {
  const key = generateSigningKey();
  const again = signingKeyFromPem(key.exportPrivatePem());
  assert.equal(again.keyId, key.keyId);
  assert.equal(key.keyId, sha256Hex(Buffer.from(key.publicKeyHex, 'hex')));
  assert.equal(publicKeyFromPem(key.publicKeyPem).keyId, key.keyId);
  assert.throws(() => publicKeyFromPem(key.exportPrivatePem().replace('PRIVATE', 'PUBLIC')));
});

function sha256Hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

test('a signed provenance verifies offline and says what it checked', () => {
  const key = generateSigningKey();
  const envelope = signedProvenance(key);
  const report = verifyAttestations({
    fileSha256: sha('app'),
    envelopes: [envelope],
    keys: [publicKeyFromPem(key.publicKeyPem)],
    policy: { minLevel: 3, trustedTaskQueueId: 'proj/release' },
  });
  assert.ok(report.ok, JSON.stringify(report.checks));
  assert.equal(report.subjectName, 'public/app');
  assert.deepEqual(
    report.checks.map((c) => c.what),
    ['signature', 'digest', 'builder', 'level', 'trusted queue'],
  );
});

test('S17: a tampered provenance, another digest, another key, a lower level are refused', () => {
  const key = generateSigningKey();
  const keys = [publicKeyFromPem(key.publicKeyPem)];
  const envelope = signedProvenance(key);
  const refused = (e: unknown, fileSha256 = sha('app'), policy = {}) =>
    assert.equal(verifyAttestations({ fileSha256, envelopes: [e], keys, policy }).ok, false);
  const payload = JSON.parse(envelopePayload(envelope).toString()) as {
    subject: { digest: { sha256: string } }[];
  };
  payload.subject[0]!.digest.sha256 = sha('evil');
  refused(
    { ...envelope, payload: Buffer.from(JSON.stringify(payload)).toString('base64') },
    sha('evil'),
  );
  refused(envelope, sha('other file'));
  refused(signedProvenance(generateSigningKey()));
  refused({ ...envelope, payloadType: 'application/json' });
  refused(signedProvenance(key, build({ trustLevel: 1 })), sha('app'), { minLevel: 2 });
  refused(envelope, sha('app'), { replicas: 2 });
  refused(envelope, sha('app'), { trustedTaskQueueId: 'proj/other' });
  refused({ ...envelope, signatures: [] });
});

const quorum = (over: Partial<QuorumOutcome> = {}): QuorumOutcome => ({
  replicas: [
    { runId: 0, workerGroup: 'g', workerId: 'w1', taskQueueId: 'proj/ci' },
    { runId: 1, workerGroup: 'g', workerId: 'w2', taskQueueId: 'proj/ci' },
    { runId: 2, workerGroup: 't', workerId: 'w9', taskQueueId: 'proj/trusted' },
  ],
  agreed: true,
  trustedTaskQueueId: 'proj/trusted',
  ...over,
});

test('the VSA passes only for agreeing replicas on distinct workers with the trusted queue among them', () => {
  const at = new Date('2030-01-01T00:00:00Z');
  const vsa = (q: QuorumOutcome) =>
    verificationSummary({
      rootUrl: ROOT,
      taskId: 'aaaaaaaaaaaaaaaaaaaaaa',
      subjects: [],
      quorum: q,
      timeVerified: at,
    });
  const passed = vsa(quorum());
  assert.equal(passed.verificationResult, 'PASSED');
  assert.equal(passed.quorum.distinctWorkers, 3);
  assert.deepEqual(passed.verifiedLevels, [
    'BULWARK_QUORUM_3',
    'BULWARK_TRUSTED_QUEUE:proj/trusted',
  ]);
  assert.equal(vsa(quorum({ agreed: false })).verificationResult, 'FAILED');
  const sameWorker = quorum().replicas.map((r) => ({ ...r, workerId: 'w1', workerGroup: 'g' }));
  assert.equal(vsa(quorum({ replicas: sameWorker })).verificationResult, 'FAILED');
  const noTrusted = quorum().replicas.slice(0, 2);
  assert.equal(vsa(quorum({ replicas: noTrusted })).verificationResult, 'FAILED');
  assert.equal(
    vsa(quorum({ replicas: noTrusted, trustedTaskQueueId: undefined })).verificationResult,
    'PASSED',
  );
});

test('replicas and the trusted queue are met through a signed VSA naming the file', () => {
  const key = generateSigningKey();
  const keys = [publicKeyFromPem(key.publicKeyPem)];
  const subjects = [{ name: 'public/app', digest: { sha256: sha('app') } }];
  const summary = verificationSummary({
    rootUrl: ROOT,
    taskId: 'aaaaaaaaaaaaaaaaaaaaaa',
    subjects,
    quorum: quorum(),
    timeVerified: new Date(),
  });
  const vsaEnvelope = signEnvelope(
    Buffer.from(JSON.stringify(statement(subjects, SLSA_VSA_V1, summary))),
    key,
  );
  const policy = { replicas: 3, trustedTaskQueueId: 'proj/trusted' };
  const envelopes = [
    signedProvenance(key, build({ trustLevel: 1, taskQueueId: 'proj/ci' })),
    vsaEnvelope,
  ];
  assert.ok(verifyAttestations({ fileSha256: sha('app'), envelopes, keys, policy }).ok);
  assert.equal(
    verifyAttestations({ fileSha256: sha('app'), envelopes, keys, policy: { replicas: 4 } }).ok,
    false,
  );
  const forged = signEnvelope(
    Buffer.from(JSON.stringify(statement(subjects, SLSA_VSA_V1, summary))),
    generateSigningKey(),
  );
  assert.equal(
    verifyAttestations({ fileSha256: sha('app'), envelopes: [envelopes[0], forged], keys, policy })
      .ok,
    false,
  );
});

test('the chain through dependencies holds only for the provenance whose digest was recorded', () => {
  const key = generateSigningKey();
  const keys = [publicKeyFromPem(key.publicKeyPem)];
  const dep = serializeEnvelope(signedProvenance(key, build({ taskId: 'bbbbbbbbbbbbbbbbbbbbbb' })));
  const other = serializeEnvelope(
    signedProvenance(key, build({ taskId: 'cccccccccccccccccccccc' })),
  );
  const top = signedProvenance(
    key,
    build({
      dependencies: [{ taskId: 'bbbbbbbbbbbbbbbbbbbbbb', provenanceSha256: envelopeDigest(dep) }],
    }),
  );
  const verify = (bytes: Buffer) =>
    verifyAttestations({
      fileSha256: sha('app'),
      envelopes: [top],
      keys,
      policy: {},
      dependencies: new Map([['bbbbbbbbbbbbbbbbbbbbbb', bytes]]),
    });
  const good = verify(dep);
  assert.ok(good.ok);
  assert.ok(good.checks.some((c) => c.what === 'dependency' && /matches/.test(c.detail)));
  assert.equal(verify(other).ok, false);
});
