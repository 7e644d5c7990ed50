import { createHash, generateKeyPairSync, sign } from 'node:crypto';

const PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export const sha256 = (data: string | Buffer): string =>
  createHash('sha256').update(data).digest('hex');

/** DSSE's pre-authentication encoding, which the signature covers. */
function pae(payload: Buffer): Buffer {
  const type = Buffer.from(PAYLOAD_TYPE);
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `),
    type,
    Buffer.from(` ${payload.length} `),
    payload,
  ]);
}

/**
 * A DSSE envelope over `statement`, signed with a key the red team made and labeled with
 * `keyid` (the control plane's, copied from a real envelope): well formed, so only the
 * signature check can tell it from a real one.
 */
function forgedEnvelope(statement: unknown, keyid: string): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  const payload = Buffer.from(JSON.stringify(statement));
  const sig = sign(null, pae(payload), privateKey).toString('base64');
  return JSON.stringify({
    payloadType: PAYLOAD_TYPE,
    payload: payload.toString('base64'),
    signatures: [{ keyid, sig }],
  });
}

interface Envelope {
  payload: string;
  signatures: { keyid: string }[];
}

/**
 * The red team's attestations for `artifact` (its malicious bytes): a provenance built
 * from a real one (the victim's) with the subject swapped and the builder raised to level
 * 3, and a verification summary claiming two agreeing replicas, one trusted. Both signed
 * with the red team's own key under the control plane's key id.
 */
export function forgeAttestations(
  realProvenance: string,
  taskId: string,
  artifact: string,
  content: string,
  trustedTaskQueueId: string,
): { provenance: string; summary: string } {
  const real = JSON.parse(realProvenance) as Envelope;
  const keyid = real.signatures[0]?.keyid ?? '0'.repeat(64);
  const statement = JSON.parse(Buffer.from(real.payload, 'base64').toString()) as {
    subject: unknown;
    predicate: { buildDefinition: { internalParameters: Record<string, unknown> } };
  };
  const subject = [{ name: artifact, digest: { sha256: sha256(content) } }];
  statement.subject = subject;
  Object.assign(statement.predicate.buildDefinition.internalParameters, {
    taskId,
    builderTrustLevel: 3,
  });
  const replica = (runId: number, taskQueueId: string) => ({
    runId,
    workerGroup: `g${runId}`,
    workerId: `w${runId}`,
    taskQueueId,
  });
  const summary = {
    _type: 'https://in-toto.io/Statement/v1',
    subject,
    predicateType: 'https://slsa.dev/verification_summary/v1',
    predicate: {
      verifier: { id: 'forged' },
      timeVerified: new Date().toJSON(),
      resourceUri: `task/${taskId}`,
      policy: { uri: 'https://bulwark.invalid/policy/quorum/v1' },
      verificationResult: 'PASSED',
      verifiedLevels: ['SLSA_BUILD_LEVEL_3'],
      quorum: {
        replicas: [replica(0, 'forged/queue'), replica(1, trustedTaskQueueId)],
        distinctWorkers: 2,
        agreed: true,
        trustedTaskQueueId,
        trustedReplicaAgreed: true,
      },
    },
  };
  return { provenance: forgedEnvelope(statement, keyid), summary: forgedEnvelope(summary, keyid) };
}
