import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ArtifactUploader } from '../artifacts/artifact-uploader.js';
import { planTask } from '../payload/payload.js';
import { weakenedWarning } from '../sandbox/bwrap-command.js';
import type { Executor, ExecutionResult } from '../sandbox/engine.js';
import { artifactByteLimit } from './features/artifact-byte-limit.js';
import { FeatureChain } from './features/feature-chain.js';
import { liveLog } from './features/live-log.js';
import { networkAllowlist } from './features/network-allowlist.js';
import { runCredentialMasking } from './features/run-credential-masking.js';
import { startTaskDirectory } from './features/task-directory.js';
import type { TaskFeature, TaskRun } from './features/task-feature.js';
import { taskclusterProxy } from './features/taskcluster-proxy.js';
import type { Claim, ExceptionReason, WorkerQueue } from './queue-api.js';
import { RunLease } from './run-lease.js';
import { RunOutputs } from './run-outputs.js';
import { TaskLog } from './task-log.js';
import type { WorkerConfig } from './worker-config.js';

export interface TaskRunDeps {
  config: Readonly<WorkerConfig>;
  queue: WorkerQueue;
  executor: Executor;
  logger: Logger;
  /** Aborted when the worker stops; running tasks then resolve as worker-shutdown. */
  shutdown: AbortSignal;
  uploader: ArtifactUploader;
}

export type Resolution =
  | { kind: 'completed' }
  | { kind: 'failed' }
  | { kind: 'exception'; reason: ExceptionReason }
  /** The queue took the run away (canceled, deadline, claim expired): nothing to report. */
  | { kind: 'lost'; why: string };

/** What a run needs once its payload is planned, in starting order (stopped in reverse). */
const PLANNED_FEATURES: readonly TaskFeature[] = [
  artifactByteLimit,
  networkAllowlist,
  taskclusterProxy,
];

/**
 * One claimed run from start to end, as a sequence of task features (daemon/features)
 * around the task's commands: the run's directory, the masking of its credentials and
 * its live log first; once the payload is planned, what it asks for (the artifact byte
 * limit, the network allowlist, the proxy). Then the commands run in the engine while
 * the lease reclaims, the artifacts and the log are uploaded and the run is resolved.
 * Whatever happens, the lease is stopped and every started feature stopped, the last
 * first: the proxy closed, live readers released, the task directory removed.
 */
export async function runClaim(claim: Claim, deps: TaskRunDeps): Promise<Resolution> {
  const { config, logger } = deps;
  // First of all and last to go: the log file lives in the run's directory.
  const directory = startTaskDirectory(config.dataDir, claim, logger);
  const { runDir, taskDir } = directory;
  const log = new TaskLog(join(runDir, 'live.log'));
  const credentialListeners: TaskRun['credentialListeners'] = [];
  const lease = new RunLease(
    claim,
    deps.queue,
    (credentials) => credentialListeners.forEach((listener) => listener(credentials)),
    logger,
  );
  const outputs = new RunOutputs(
    () => lease.current,
    claim.task.expires,
    log,
    deps.uploader,
    logger,
  );
  // Test-only switches (the exercise's weakened targets) never apply silently.
  const weakened = deps.executor.weakenedForTests;
  const run: TaskRun = {
    claim,
    deps,
    logger,
    runDir,
    taskDir,
    log,
    lease,
    outputs,
    weakened,
    network: { mode: 'none' },
    credentialListeners,
  };
  const features = new FeatureChain(run);
  features.adopt('task-directory', directory);
  // The log file is closed before its directory goes, whichever feature failed to start.
  features.adopt('task-log', { stop: () => outputs.abandon() });
  let outputsDone = false;
  /** Uploads what the run produced, then resolves it; nothing is uploaded for a lost run. */
  const finish = async (
    resolution: Resolution,
    artifacts: Parameters<RunOutputs['publishArtifacts']>[1] = [],
    errors: Parameters<RunOutputs['publishArtifacts']>[2] = [],
  ): Promise<Resolution> => {
    outputsDone = true;
    if (resolution.kind === 'lost' || lease.lostReason !== undefined) {
      await outputs.abandon();
      return resolution.kind === 'lost'
        ? resolution
        : { kind: 'lost', why: lease.lostReason ?? 'lost' };
    }
    let final = resolution;
    const { missing, refused } = await outputs.publishArtifacts(taskDir, artifacts, errors);
    if (missing > 0 && final.kind === 'completed') {
      log.note(`${missing} declared artifact(s) missing: the task is resolved failed`);
      final = { kind: 'failed' };
    }
    if (refused > 0 && final.kind === 'completed') {
      log.note(`${refused} artifact(s) over the byte limit refused: the task is resolved failed`);
      final = { kind: 'failed' };
    }
    if (!(await outputs.finishLog()) && final.kind !== 'exception') {
      // S18: a result is reported only with the worker's log that backs it.
      final = { kind: 'exception', reason: 'internal-error' };
    }
    return await resolve(deps, lease, final);
  };
  const warning = weakenedWarning(weakened);
  try {
    await features.start([runCredentialMasking, liveLog]);
    if (warning !== undefined) log.note(warning);
    const planned = planTask(
      claim.task.payload,
      { taskQueueId: claim.task.taskQueueId, scopes: claim.task.scopes },
      config.limits,
    );
    if (!planned.ok) {
      log.note('the payload was refused:');
      for (const problem of planned.problems) log.note(`  ${problem}`);
      return await finish(
        { kind: 'exception', reason: 'malformed-payload' },
        [],
        [
          {
            name: 'public/logs/malformed-payload',
            reason: 'invalid-resource-on-worker',
            message: `the payload was refused: ${planned.problems.join('; ')}`,
            expires: claim.task.expires,
          },
        ],
      );
    }
    const { plan } = planned;
    run.plan = plan;
    await features.start(PLANNED_FEATURES);
    const abort = AbortSignal.any([lease.abort.signal, deps.shutdown]);
    log.note(
      `task ${claim.taskId} run ${claim.runId} on ${config.workerGroup}/${config.workerId} (${deps.executor.name} engine)`,
    );
    const handedAt = performance.now();
    const result = await deps.executor.run({
      commands: plan.commands,
      env: {
        ...plan.env,
        TASK_ID: claim.taskId,
        RUN_ID: String(claim.runId),
        TASKCLUSTER_ROOT_URL: config.rootUrl,
      },
      taskDir,
      resources: plan.resources,
      maxRunTime: plan.maxRunTime,
      network: run.network,
      proxySocket: run.proxySocket,
      stdout: log.output,
      stderr: log.output,
      signal: abort,
      // Where a task's start goes, in debug logs (no credential, no payload value):
      // the worker's own steps from the claim to the engine, then the engine's until the
      // command is handed to the launcher (bubblewrap's own start follows, not seen here).
      onStarted: ({ prepared }) =>
        logger.debug(
          {
            taskId: claim.taskId,
            runId: claim.runId,
            preparedStart: prepared,
            workerMs: elapsed(claim.receivedAt ?? handedAt, handedAt),
            engineMs: elapsed(handedAt, performance.now()),
          },
          'task handed to the sandbox',
        ),
    });
    features.taskFinished();
    describeResult(log, result);
    return await finish(
      judge(result, plan.retryExitCodes, lease, deps.shutdown),
      // A task the worker stopped for shutdown is retried elsewhere; its partial
      // outputs are not published.
      deps.shutdown.aborted ? [] : plan.artifacts,
    );
  } catch (err) {
    logger.error({ taskId: claim.taskId, err }, 'running the task failed');
    log.note('the worker failed while running this task; it will be retried');
    if (!outputsDone) return await finish({ kind: 'exception', reason: 'internal-error' });
    return await resolve(deps, lease, { kind: 'exception', reason: 'internal-error' });
  } finally {
    lease.stop();
    await features.stop();
  }
}

/** Milliseconds between two performance.now() readings, to a hundredth. */
function elapsed(from: number, to: number): number {
  return Math.round((to - from) * 100) / 100;
}

function judge(
  result: ExecutionResult,
  retryExitCodes: readonly number[],
  lease: RunLease,
  shutdown: AbortSignal,
): Resolution {
  if (lease.lostReason !== undefined) return { kind: 'lost', why: lease.lostReason };
  switch (result.outcome) {
    case 'exited':
      if (result.exitCode === 0) return { kind: 'completed' };
      if (result.exitCode !== null && retryExitCodes.includes(result.exitCode)) {
        return { kind: 'exception', reason: 'intermittent-task' };
      }
      return { kind: 'failed' };
    case 'oom':
    case 'disk-full':
    case 'timeout':
      return { kind: 'failed' };
    case 'aborted':
      return shutdown.aborted
        ? { kind: 'exception', reason: 'worker-shutdown' }
        : { kind: 'exception', reason: 'internal-error' };
    case 'failed-to-start':
      return { kind: 'exception', reason: 'internal-error' };
  }
}

function describeResult(log: TaskLog, result: ExecutionResult): void {
  if (result.insecure) log.note('WARNING: this task ran without isolation (insecure engine)');
  if (result.message) log.note(result.message);
  if (result.outcome === 'exited') log.note(`exit code ${String(result.exitCode)}`);
}

async function resolve(
  deps: TaskRunDeps,
  lease: RunLease,
  resolution: Resolution,
): Promise<Resolution> {
  if (resolution.kind === 'lost') return resolution;
  const claim = lease.current;
  lease.stop();
  try {
    if (resolution.kind === 'completed') await deps.queue.reportCompleted(claim);
    else if (resolution.kind === 'failed') await deps.queue.reportFailed(claim);
    else await deps.queue.reportException(claim, resolution.reason);
  } catch (err) {
    // 409: the queue resolved the run meanwhile; the task's result no longer counts.
    deps.logger.warn(
      { taskId: claim.taskId, err: (err as Error).message },
      'resolving the run failed',
    );
    return { kind: 'lost', why: 'the queue refused the resolution' };
  }
  return resolution;
}
