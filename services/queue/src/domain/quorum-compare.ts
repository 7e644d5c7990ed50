import type { queries } from '@bulwark/db';
import { artifactPattern, matchesAny } from './artifact-patterns.js';
import type { ArtifactComparison, ReplicaDigest } from './quorum-outcome.js';
import { isWorkerLogName } from './worker-log.js';

type ReplicaArtifact = queries.queueQuorum.ReplicaArtifact;

/** Names the queue itself writes on a quorum task (its report); no task or worker can. */
export const QUEUE_ARTIFACT_PREFIX = 'public/bulwark/';
export const QUORUM_REPORT_NAME = `${QUEUE_ARTIFACT_PREFIX}quorum-report.json`;

/** Letter case ignored, as for the worker's log (a reader could take `Public/Bulwark/` for it). */
export function isQueueArtifactName(name: string): boolean {
  return name.slice(0, QUEUE_ARTIFACT_PREFIX.length).toLowerCase() === QUEUE_ARTIFACT_PREFIX;
}

export interface ReplicaArtifacts {
  replica: number;
  artifacts: readonly ReplicaArtifact[];
}

export interface Comparison {
  agreed: boolean;
  artifacts: ArtifactComparison[];
  ignored: string[];
}

/** What one replica's artifact is, for comparing; equal keys mean identical artifacts. */
function digestOf(replica: number, artifact: ReplicaArtifact | undefined): ReplicaDigest {
  if (!artifact) return { replica, sha256: null };
  if (artifact.storageType === 'object' || artifact.storageType === 's3') {
    return { replica, sha256: artifact.blobSha256 };
  }
  return { replica, sha256: null, storageType: artifact.storageType, details: artifact.details };
}

function sameArtifact(a: ReplicaDigest, b: ReplicaDigest): boolean {
  if (a.sha256 !== null || b.sha256 !== null) return a.sha256 === b.sha256;
  // Neither has content: both must exist, as the same kind, pointing at the same thing.
  if (a.storageType === undefined || b.storageType === undefined) return false;
  return (
    a.storageType === b.storageType &&
    JSON.stringify(Object.entries(a.details ?? {}).sort()) ===
      JSON.stringify(Object.entries(b.details ?? {}).sort())
  );
}

/**
 * The quorum's comparison rules (docs/quorum.md): every artifact any replica has is
 * compared across all replicas, except the worker's logs (`public/logs/`), the
 * queue's own (`public/bulwark/`) and those matching the task's nondeterministic
 * patterns. An artifact one replica lacks differs. Stored artifacts are compared by
 * the digest the blob store computed; reference, link and error artifacts by where
 * they point or why they failed. The replicas agree when every compared artifact does
 * (vacuously when there is none).
 */
export function compareReplicas(
  replicas: readonly ReplicaArtifacts[],
  nondeterministic: readonly string[],
): Comparison {
  const patterns = nondeterministic.map(artifactPattern);
  const byReplica = replicas.map(
    ({ replica, artifacts }) => [replica, new Map(artifacts.map((a) => [a.name, a]))] as const,
  );
  const names = [...new Set(replicas.flatMap((r) => r.artifacts.map((a) => a.name)))].sort();
  const ignored: string[] = [];
  const artifacts: ArtifactComparison[] = [];
  for (const name of names) {
    if (isWorkerLogName(name) || isQueueArtifactName(name) || matchesAny(name, patterns)) {
      ignored.push(name);
      continue;
    }
    const digests = byReplica.map(([replica, found]) => digestOf(replica, found.get(name)));
    const [first] = digests;
    const agreed =
      first !== undefined &&
      digests.every(
        (d) => (d.sha256 !== null || d.storageType !== undefined) && sameArtifact(first, d),
      );
    artifacts.push({ name, agreed, digests });
  }
  return { agreed: artifacts.every((a) => a.agreed), artifacts, ignored };
}
