import {
  serializeEnvelope,
  signEnvelope,
  slsaProvenance,
  SLSA_PROVENANCE_V1,
  SLSA_VSA_V1,
  statement,
  verificationSummary,
  type EnvelopeSigner,
  type QuorumOutcome,
  type TaskBuild,
} from '@bulwark/attest';
import type { queries } from '@bulwark/db';
import { isControlPlaneArtifactName, PROVENANCE_ARTIFACT } from './control-plane-artifacts.js';
import { taskDefinitionJson } from './task-definition.js';

/**
 * Keys whose values are taken for credentials wherever they appear in a task
 * definition. Definitions hold no secret values by design (secrets are fetched at run
 * time through the proxy), but a definition is the author's free-form JSON, and a
 * token pasted into it must not be copied into a document that is published and kept.
 */
const CREDENTIAL_KEY =
  /token|secret|password|passwd|credential|private.?key|api.?key|authorization|cookie/i;

/** What replaces a removed value, so a reader sees that something was there. */
export const REMOVED = '[removed: credential-like field]';

/** The task definition as the provenance records it: credential-like values removed. */
export function definitionForProvenance(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(definitionForProvenance);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      CREDENTIAL_KEY.test(key) ? REMOVED : definitionForProvenance(inner),
    ]),
  );
}

/** One run the result rests on; a replica may have run on another queue (a trusted one). */
export interface ReplicaRun {
  runId: number;
  workerGroup: string;
  workerId: string;
  /** The queue it was claimed from; the task's own when absent. */
  taskQueueId?: string;
  started: Date;
  resolved: Date;
}

export interface ProvenanceFacts {
  rootUrl: string;
  task: queries.queueTasks.TaskRow;
  /** The run(s) the completion rests on, as claimed: worker, timestamps. */
  runs: ReplicaRun[];
  /** Stored artifacts with the blob store's digests. */
  artifacts: { name: string; sha256: string }[];
  /** Each dependency's provenance digest, where it has one. */
  dependencyDigests: ReadonlyMap<string, string>;
  trustLevel: TaskBuild['trustLevel'];
}

/** The signed provenance of a completed task: an in-toto statement in a DSSE envelope. */
export function provenanceEnvelope(facts: ProvenanceFacts, signer: EnvelopeSigner): Buffer {
  const { task } = facts;
  const predicate = slsaProvenance({
    rootUrl: facts.rootUrl,
    taskId: task.taskId,
    taskQueueId: task.taskQueueId,
    taskDefinition: definitionForProvenance(taskDefinitionJson(task)) as Record<string, unknown>,
    trustLevel: facts.trustLevel,
    runs: facts.runs.map((run) => ({
      runId: run.runId,
      workerGroup: run.workerGroup,
      workerId: run.workerId,
      taskQueueId: run.taskQueueId ?? task.taskQueueId,
      started: run.started.toJSON(),
      resolved: run.resolved.toJSON(),
    })),
    dependencies: task.dependencies.map((taskId) => ({
      taskId,
      provenanceSha256: facts.dependencyDigests.get(taskId),
    })),
    provenanceArtifactName: PROVENANCE_ARTIFACT,
  });
  const payload = Buffer.from(
    JSON.stringify(statement(subjectsOf(facts.artifacts), SLSA_PROVENANCE_V1, predicate)),
  );
  return serializeEnvelope(signEnvelope(payload, signer));
}

function subjectsOf(artifacts: ProvenanceFacts['artifacts']) {
  return artifacts
    .filter((a) => !isControlPlaneArtifactName(a.name))
    .map((a) => ({ name: a.name, digest: { sha256: a.sha256 } }));
}

/**
 * The signed verification summary (in-toto VSA) of a quorum task: which replicas ran
 * where and whether their artifacts agreed, about the artifacts the provenance names.
 */
export function verificationEnvelope(
  facts: { rootUrl: string; taskId: string; artifacts: ProvenanceFacts['artifacts'] },
  quorum: QuorumOutcome,
  timeVerified: Date,
  signer: EnvelopeSigner,
): Buffer {
  const summary = verificationSummary({
    rootUrl: facts.rootUrl,
    taskId: facts.taskId,
    subjects: subjectsOf(facts.artifacts),
    quorum,
    timeVerified,
  });
  const payload = Buffer.from(
    JSON.stringify(statement(subjectsOf(facts.artifacts), SLSA_VSA_V1, summary)),
  );
  return serializeEnvelope(signEnvelope(payload, signer));
}
