import {
  envelopeDigest,
  envelopePayload,
  envelopeShapeProblem,
  IN_TOTO_PAYLOAD_TYPE,
  preAuthEncoding,
  type DsseEnvelope,
} from './dsse.js';
import { verifyEd25519, type PublicSigningKey } from './ed25519.js';
import { BULWARK_TASK_BUILD_TYPE, SLSA_PROVENANCE_V1, type SlsaProvenance } from './provenance.js';
import { statementProblem, type Statement } from './statement.js';
import { SLSA_VSA_V1, type VerificationSummary } from './vsa.js';

/** What a verifier requires beyond a valid signature over the file's digest. */
export interface VerificationPolicy {
  /** The builder's trust level must be at least this (1..3). */
  minLevel?: number;
  /** At least this many replicas on distinct workers must have agreed (a VSA must say so). */
  replicas?: number;
  /** A replica from this task queue must have agreed (or the one run ran there). */
  trustedTaskQueueId?: string;
}

export interface VerificationInput {
  /** sha256 (hex) of the file being verified. */
  fileSha256: string;
  /** The provenance envelope, and the task's VSA envelope where it has one. */
  envelopes: unknown[];
  /** The control plane's public keys: only these may have signed. */
  keys: PublicSigningKey[];
  policy: VerificationPolicy;
  /** Dependencies' provenance envelopes as downloaded or supplied, by taskId. */
  dependencies?: ReadonlyMap<string, Buffer>;
}

export interface Check {
  what: string;
  ok: boolean;
  detail: string;
}

export interface VerificationReport {
  ok: boolean;
  checks: Check[];
  taskId?: string;
  subjectName?: string;
}

/** A verified envelope's statement, or the reason it does not verify. */
function openEnvelope(
  raw: unknown,
  keys: readonly PublicSigningKey[],
): { statement: Statement; keyId: string } | { problem: string } {
  const shape = envelopeShapeProblem(raw);
  if (shape !== undefined) return { problem: `not a DSSE envelope: ${shape}` };
  const envelope = raw as DsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return { problem: `payloadType is ${envelope.payloadType}, not ${IN_TOTO_PAYLOAD_TYPE}` };
  }
  const payload = envelopePayload(envelope);
  const signed = preAuthEncoding(envelope.payloadType, payload);
  let keyId: string | undefined;
  for (const signature of envelope.signatures) {
    const candidates = keys.filter(
      (k) => signature.keyid === undefined || k.keyId === signature.keyid,
    );
    const sig = Buffer.from(signature.sig, 'base64');
    const key = candidates.find((k) => verifyEd25519(k, signed, sig));
    if (key) {
      keyId = key.keyId;
      break;
    }
  }
  if (keyId === undefined) {
    return { problem: 'no signature verifies with the given public key(s)' };
  }
  let statement: unknown;
  try {
    statement = JSON.parse(payload.toString('utf8'));
  } catch {
    return { problem: 'the signed payload is not JSON' };
  }
  const problem = statementProblem(statement);
  if (problem !== undefined) return { problem };
  return { statement: statement as Statement, keyId };
}

const level = (p: SlsaProvenance): number =>
  Number(p.buildDefinition.internalParameters.builderTrustLevel);

/**
 * Verifies offline, with only the public keys: the envelopes' signatures, that the
 * file's digest is a subject of the provenance, the policy (trust level, replicas,
 * trusted queue; the last two from a VSA), and the chain through dependencies as far
 * as their provenance was supplied. Every check is reported in words; `ok` only when
 * all hold.
 */
export function verifyAttestations(input: VerificationInput): VerificationReport {
  const checks: Check[] = [];
  const add = (what: string, ok: boolean, detail: string): boolean => {
    checks.push({ what, ok, detail });
    return ok;
  };
  const done = (extra: Partial<VerificationReport> = {}): VerificationReport => ({
    ok: checks.every((c) => c.ok),
    checks,
    ...extra,
  });
  let provenance: Statement<SlsaProvenance> | undefined;
  let vsa: Statement<VerificationSummary> | undefined;
  for (const raw of input.envelopes) {
    const opened = openEnvelope(raw, input.keys);
    if ('problem' in opened) {
      add('signature', false, opened.problem);
      return done();
    }
    add('signature', true, `the DSSE signature verifies with key ${opened.keyId}`);
    if (opened.statement.predicateType === SLSA_PROVENANCE_V1) {
      provenance = opened.statement as Statement<SlsaProvenance>;
    } else if (opened.statement.predicateType === SLSA_VSA_V1) {
      vsa = opened.statement as Statement<VerificationSummary>;
    }
  }
  if (!provenance || provenance.predicate.buildDefinition?.buildType !== BULWARK_TASK_BUILD_TYPE) {
    add('provenance', false, 'no signed SLSA provenance v1 of a Bulwark task was supplied');
    return done();
  }
  const predicate = provenance.predicate;
  const taskId = String(predicate.buildDefinition.internalParameters.taskId);
  const taskQueueId = String(predicate.buildDefinition.internalParameters.taskQueueId);
  const subject = provenance.subject.find((s) => s.digest.sha256 === input.fileSha256);
  if (
    !add(
      'digest',
      subject !== undefined,
      subject
        ? `the file's sha256 ${input.fileSha256} is artifact ${subject.name} of task ${taskId}`
        : `the file's sha256 ${input.fileSha256} is not among the ${provenance.subject.length} artifact(s) the provenance of task ${taskId} names`,
    )
  ) {
    return done({ taskId });
  }
  const builtAt = level(predicate);
  add(
    'builder',
    true,
    `built by ${predicate.runDetails.builder.id} (trust level ${builtAt}, as its operator states it) on ${predicate.runDetails.builder.builderDependencies.map((w) => w.name).join(', ')}`,
  );
  if (input.policy.minLevel !== undefined) {
    add(
      'level',
      builtAt >= input.policy.minLevel,
      `builder trust level ${builtAt} ${builtAt >= input.policy.minLevel ? '>=' : '<'} required ${input.policy.minLevel}`,
    );
  }
  checkQuorum(input, vsa, taskId, taskQueueId, add);
  checkDependencies(input, predicate, add);
  return done({ taskId, subjectName: subject!.name });
}

type Add = (what: string, ok: boolean, detail: string) => boolean;

function checkQuorum(
  input: VerificationInput,
  vsa: Statement<VerificationSummary> | undefined,
  taskId: string,
  taskQueueId: string,
  add: Add,
): void {
  const { replicas, trustedTaskQueueId } = input.policy;
  if (vsa) {
    const summary = vsa.predicate;
    const forTask = summary.resourceUri?.endsWith(`/task/${taskId}`) === true;
    const coversFile = vsa.subject.some((s) => s.digest.sha256 === input.fileSha256);
    const passed = summary.verificationResult === 'PASSED';
    add(
      'verification summary',
      forTask && coversFile && passed,
      !forTask
        ? `the verification summary is about ${summary.resourceUri}, not task ${taskId}`
        : !coversFile
          ? 'the verification summary does not name the file among the agreed artifacts'
          : `the quorum's result is ${summary.verificationResult}: ${summary.quorum.distinctWorkers} distinct worker(s) ${summary.quorum.agreed ? 'agreed' : 'did not agree'}`,
    );
  }
  const agreedOk = vsa !== undefined && vsaVouchesFor(vsa, input.fileSha256, taskId);
  if (replicas !== undefined) {
    const have = agreedOk ? vsa.predicate.quorum.distinctWorkers : 1;
    add(
      'replicas',
      have >= replicas,
      vsa
        ? `${have} replica(s) on distinct workers agreed; ${replicas} required`
        : `no verification summary: a single run, ${replicas} agreeing replica(s) required`,
    );
  }
  if (trustedTaskQueueId !== undefined) {
    const ok = agreedOk
      ? vsa.predicate.quorum.trustedReplicaAgreed &&
        vsa.predicate.quorum.trustedTaskQueueId === trustedTaskQueueId
      : vsa === undefined && taskQueueId === trustedTaskQueueId;
    add(
      'trusted queue',
      ok,
      ok
        ? `a run on the trusted queue ${trustedTaskQueueId} produced this result`
        : `no run on the trusted queue ${trustedTaskQueueId} is shown to have produced this result (built on ${taskQueueId})`,
    );
  }
}

/** The summary passed, is about this task, and names this file among what agreed. */
function vsaVouchesFor(
  vsa: Statement<VerificationSummary>,
  sha256: string,
  taskId: string,
): boolean {
  return (
    vsa.predicate.verificationResult === 'PASSED' &&
    vsa.predicate.resourceUri?.endsWith(`/task/${taskId}`) === true &&
    vsa.subject.some((s) => s.digest.sha256 === sha256)
  );
}

/** Follows resolvedDependencies through the supplied envelopes, each at most once. */
function checkDependencies(input: VerificationInput, predicate: SlsaProvenance, add: Add): void {
  const supplied = input.dependencies ?? new Map<string, Buffer>();
  const seen = new Set<string>();
  const queue = [...predicate.buildDefinition.resolvedDependencies];
  while (queue.length > 0 && seen.size < 10_000) {
    const dep = queue.shift()!;
    const depTask = dep.name ?? dep.uri ?? '?';
    if (seen.has(depTask)) continue;
    seen.add(depTask);
    const wanted = dep.digest?.sha256;
    if (wanted === undefined) {
      add(
        'dependency',
        true,
        `dependency ${depTask} has no provenance (it did not complete); nothing to check`,
      );
      continue;
    }
    const bytes = supplied.get(depTask);
    if (!bytes) {
      add(
        'dependency',
        true,
        `dependency ${depTask}: provenance sha256 ${wanted} recorded, not supplied, not checked`,
      );
      continue;
    }
    const actual = envelopeDigest(bytes);
    if (
      !add(
        'dependency',
        actual === wanted,
        actual === wanted
          ? `dependency ${depTask}: its provenance matches the recorded sha256 ${wanted}`
          : `dependency ${depTask}: its provenance has sha256 ${actual}, but ${wanted} was recorded`,
      )
    )
      continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const opened = openEnvelope(parsed, input.keys);
    if ('problem' in opened) {
      add('dependency', false, `dependency ${depTask}: ${opened.problem}`);
      continue;
    }
    const inner = opened.statement.predicate as SlsaProvenance;
    queue.push(...(inner.buildDefinition?.resolvedDependencies ?? []));
  }
}
