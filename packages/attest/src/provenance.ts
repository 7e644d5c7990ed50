import type { ResourceDescriptor } from './statement.js';

/** SLSA Provenance v1 (https://slsa.dev/spec/v1.0/provenance). */
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';

/** What a Bulwark task's provenance declares its build to be (docs/provenance.md). */
export const BULWARK_TASK_BUILD_TYPE = 'https://bulwark.invalid/provenance/task/v1';

/** Builder trust levels, as the operator states them for task queues (1 untrusted .. 3 release). */
export type TrustLevel = 1 | 2 | 3;

/** One run of the task (one replica of a quorum) and the worker that ran it. */
export interface RunRecord {
  runId: number;
  workerGroup: string;
  workerId: string;
  taskQueueId: string;
  /** ISO timestamps the queue recorded. */
  started: string;
  resolved: string;
  /** The worker's execution engine, when the control plane knows it. */
  engine?: string;
}

/** What the control plane knows, once a task completed, to write its provenance. */
export interface TaskBuild {
  rootUrl: string;
  taskId: string;
  taskQueueId: string;
  /** The task definition with anything credential-like removed (see task-definition scrubbing). */
  taskDefinition: Record<string, unknown>;
  trustLevel: TrustLevel;
  /** Every run whose result the task's resolution rests on (one, or every quorum replica). */
  runs: RunRecord[];
  /** The dependencies' provenance, referenced by the sha256 of its envelope where it exists. */
  dependencies: { taskId: string; provenanceSha256: string | undefined }[];
  /** The reserved artifact name the provenance is stored under, for dependency URIs. */
  provenanceArtifactName: string;
}

export interface SlsaProvenance {
  buildDefinition: {
    buildType: string;
    externalParameters: { task: Record<string, unknown> };
    internalParameters: {
      taskId: string;
      taskQueueId: string;
      /** The operator's statement of the builder's trust level (not a measurement). */
      builderTrustLevel: TrustLevel;
    };
    resolvedDependencies: ResourceDescriptor[];
  };
  runDetails: {
    builder: { id: string; builderDependencies: ResourceDescriptor[] };
    metadata: { invocationId: string; startedOn: string; finishedOn: string };
  };
}

/** The builder id of a task queue: the pool of workers is the builder. */
export function builderId(rootUrl: string, taskQueueId: string): string {
  return `${rootUrl}/worker-pool/${taskQueueId}`;
}

const earliest = (values: string[]): string => [...values].sort()[0] ?? '';
const latest = (values: string[]): string => [...values].sort().at(-1) ?? '';

/** The queue's getWorker URL for the run's worker (taskQueueId is provisionerId/workerType). */
function workerUri(queue: string, run: RunRecord): string {
  const [provisionerId, workerType] = run.taskQueueId.split('/');
  return (
    `${queue}/provisioners/${provisionerId}/worker-types/${workerType}/workers/` +
    `${run.workerGroup}/${run.workerId}`
  );
}

/** The SLSA Provenance v1 predicate of a completed task. */
export function slsaProvenance(build: TaskBuild): SlsaProvenance {
  const queue = `${build.rootUrl}/api/queue/v1`;
  return {
    buildDefinition: {
      buildType: BULWARK_TASK_BUILD_TYPE,
      externalParameters: { task: build.taskDefinition },
      internalParameters: {
        taskId: build.taskId,
        taskQueueId: build.taskQueueId,
        builderTrustLevel: build.trustLevel,
      },
      resolvedDependencies: build.dependencies.map((dep) => ({
        name: dep.taskId,
        uri: `${queue}/task/${dep.taskId}/artifacts/${build.provenanceArtifactName}`,
        ...(dep.provenanceSha256 !== undefined && { digest: { sha256: dep.provenanceSha256 } }),
      })),
    },
    runDetails: {
      builder: {
        id: builderId(build.rootUrl, build.taskQueueId),
        builderDependencies: build.runs.map((run) => ({
          name: `${run.workerGroup}/${run.workerId}`,
          uri: workerUri(queue, run),
          annotations: {
            runId: run.runId,
            workerGroup: run.workerGroup,
            workerId: run.workerId,
            taskQueueId: run.taskQueueId,
            started: run.started,
            resolved: run.resolved,
            ...(run.engine !== undefined && { engine: run.engine }),
          },
        })),
      },
      metadata: {
        invocationId: `${build.taskId}/${build.runs.map((r) => r.runId).join(',')}`,
        startedOn: earliest(build.runs.map((r) => r.started)),
        finishedOn: latest(build.runs.map((r) => r.resolved)),
      },
    },
  };
}
