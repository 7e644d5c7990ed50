import { conflict, notFound } from '@bulwark/api';
import {
  envelopePayload,
  verifyAttestations,
  type DsseEnvelope,
  type SlsaProvenance,
} from '@bulwark/attest';
import { queries } from '@bulwark/db';
import type { SigningContext } from './context.js';
import { openSigningKey } from './keys.js';
import { queueAllowed, verificationPolicy, type SigningPolicy } from './policy.js';

const PROVENANCE = 'public/bulwark/provenance.intoto.json';
const VERIFICATION = 'public/bulwark/verification.intoto.json';

export interface SignRequest {
  keyId: string;
  taskId: string;
  artifact: string;
  callerId: string;
}

export interface SignatureJson {
  keyId: string;
  minisignKeyId: string;
  taskId: string;
  artifact: string;
  sha256: string;
  /** The `.minisig` file's text, for `minisign -V`. */
  signature: string;
}

function parseEnvelope(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

function taskQueueOf(provenance: unknown): string {
  const statement = JSON.parse(envelopePayload(provenance as DsseEnvelope).toString('utf8')) as {
    predicate: SlsaProvenance;
  };
  return String(statement.predicate.buildDefinition.internalParameters.taskQueueId);
}

/**
 * Signs one artifact of a task with a release key, only when the task's provenance
 * verifies with the control plane's keys, names this very content (read through and
 * hashed here) under this name, and meets the key's policy (S16, S17). Every signature
 * and every refusal is in the audit log (S14); a refusal is a 409 saying why.
 */
export async function signArtifact(
  ctx: SigningContext,
  request: SignRequest,
): Promise<SignatureJson> {
  const row = await queries.signing.getSigningKey(ctx.pool, request.keyId);
  if (!row) throw notFound('Signing key');
  const policy = row.policy as unknown as SigningPolicy;
  const audit = async (action: 'signed' | 'refused', details: Record<string, unknown>) =>
    queries.audit.appendAudit(
      ctx.pool,
      {
        entityType: 'signing-key',
        entityId: request.keyId,
        action,
        clientId: request.callerId,
        details: { taskId: request.taskId, artifact: request.artifact, ...details },
      },
      ctx.now(),
    );
  const refuse = async (reason: string): Promise<never> => {
    await audit('refused', { reason });
    throw conflict(`Not signed with ${request.keyId}: ${reason}`);
  };
  // Checked first and on every request: a disabled key signs nothing, whatever is asked.
  if (row.disabled) return refuse(`the key was disabled on ${row.disabled.at.toJSON()}`);
  const provenanceBytes = await ctx.queue.small(request.taskId, PROVENANCE);
  if (!provenanceBytes) return refuse('the task has no provenance');
  const measured = await ctx.queue.measure(request.taskId, request.artifact);
  if (!measured) return refuse(`the task has no artifact ${request.artifact}`);
  const verification = await ctx.queue.small(request.taskId, VERIFICATION);
  const provenance = parseEnvelope(provenanceBytes);
  const report = verifyAttestations({
    fileSha256: measured.sha256,
    envelopes: [provenance, ...(verification ? [parseEnvelope(verification)] : [])],
    keys: await ctx.queue.provenanceKeys(),
    policy: verificationPolicy(policy),
  });
  const failed = report.checks.find((c) => !c.ok);
  if (failed) return refuse(failed.detail);
  if (report.taskId !== request.taskId || report.subjectName !== request.artifact) {
    return refuse(
      `the provenance names this content as ${report.subjectName ?? '?'} of task ${report.taskId ?? '?'}`,
    );
  }
  const taskQueueId = taskQueueOf(provenance);
  if (!queueAllowed(policy, taskQueueId)) {
    return refuse(`tasks of ${taskQueueId} are not among the queues this key signs for`);
  }
  const key = openSigningKey(ctx.keyring, row);
  const signature = key.signBlake2b512(
    measured.blake2b512,
    `bulwark task ${request.taskId} artifact ${request.artifact} sha256 ${measured.sha256} key ${request.keyId}`,
  );
  await audit('signed', { sha256: measured.sha256, size: measured.size });
  return {
    keyId: request.keyId,
    minisignKeyId: key.keyId,
    taskId: request.taskId,
    artifact: request.artifact,
    sha256: measured.sha256,
    signature,
  };
}
