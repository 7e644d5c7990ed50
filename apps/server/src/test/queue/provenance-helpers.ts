import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import {
  envelopePayload,
  publicKeyFromPem,
  type DsseEnvelope,
  type PublicSigningKey,
  type SlsaProvenance,
  type Statement,
} from '@bulwark/attest';
import { PROVENANCE_ARTIFACT } from '@bulwark/queue-service';
import { downloadArtifact } from './artifact-helpers.js';
import { queueWith, type TestPlatform } from './harness.js';

export const sha256 = (data: Buffer | string): string =>
  createHash('sha256').update(data).digest('hex');

/** Waits (bounded) until the control plane stored the task's provenance; its bytes. */
export async function provenanceOf(platform: TestPlatform, taskId: string): Promise<Buffer> {
  for (let i = 0; i < 200; i++) {
    const { rowCount } = await platform.db.pool.query(
      `SELECT 1 FROM artifacts WHERE task_id = $1 AND name = $2 AND present`,
      [taskId, PROVENANCE_ARTIFACT],
    );
    if (rowCount === 1) {
      const queue = queueWith(platform, platform.root);
      return (await downloadArtifact(queue, taskId, undefined, PROVENANCE_ARTIFACT)).data;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no provenance for ${taskId} after 10 s`);
}

export function statementOf(bytes: Buffer): Statement<SlsaProvenance> {
  const envelope = JSON.parse(bytes.toString('utf8')) as DsseEnvelope;
  return JSON.parse(envelopePayload(envelope).toString('utf8')) as Statement<SlsaProvenance>;
}

/** The served public keys, fetched without credentials as a verifier would. */
export async function servedKeys(
  platform: TestPlatform,
): Promise<{ raw: string; keys: PublicSigningKey[]; body: { keys: { keyId: string }[] } }> {
  const response = await fetch(`${platform.rootUrl}/api/queue/v1/provenance/keys`);
  assert.equal(response.status, 200);
  const raw = await response.text();
  const body = JSON.parse(raw) as { keys: { keyId: string; publicKey: string }[] };
  return { raw, body, keys: body.keys.map((k) => publicKeyFromPem(k.publicKey)) };
}
