import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ArtifactUploader } from '../artifacts/artifact-uploader.js';
import { removeTree } from '../cleanup/remove-tree.js';
import { planTask } from '../payload/payload.js';
import { proxySocketDirectory, proxySocketPath } from '../proxy/socket-path.js';
import { TaskProxy } from '../proxy/task-proxy.js';
import { weakenedWarning } from '../sandbox/bwrap-command.js';
import type { Executor, ExecutionResult } from '../sandbox/engine.js';
import { quarantineDirectory } from './data-dir.js';
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

/**
 * One claimed run from start to end: publish the live log, plan the payload, start
 * the task's proxy, run the commands in the engine while the lease reclaims, upload
 * the artifacts and the log, then resolve. Whatever happens, the proxy is closed, the
 * lease stopped, live readers released and the task directory removed.
 */
export async function runClaim(claim: Claim, deps: TaskRunDeps): Promise<Resolution> {
  const { config, logger } = deps;
  const runName = `${claim.taskId}-${claim.runId}`;
  const runDir = join(config.dataDir, 'runs', runName);
  const taskDir = join(runDir, 'task');
  // Private to the worker (S11); the engine opens the run directory to the one user
  // that must pass through it to the task directory, if any. Synchronous: microseconds
  // on the worker's own disk, where the asynchronous calls wait for the thread pool,
  // all of it before the task can start.
  mkdirSync(taskDir, { recursive: true, mode: 0o700 });
  const log = new TaskLog(join(runDir, 'live.log'));
  // The run's own credentials never reach the task; mask them anyway (S15).
  log.masker.addSecret(claim.credentials.accessToken);
  let proxy: TaskProxy | undefined;
  const lease = new RunLease(claim, deps.queue, (c) => proxy?.updateCredentials(c), logger);
  const outputs = new RunOutputs(
    () => lease.current,
    claim.task.expires,
    log,
    deps.uploader,
    logger,
  );
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
  // Test-only switches (the exercise's weakened targets) never apply silently.
  const weakened = deps.executor.weakenedForTests;
  const warning = weakenedWarning(weakened);
  try {
    outputs.startLiveLog(() => lease.checkNow());
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
    outputs.limitArtifactBytes(plan.resources.diskMB);
    let proxySocket: string | undefined;
    if (plan.taskclusterProxy) {
      proxy = new TaskProxy({
        rootUrl: config.rootUrl,
        credentials: lease.current.credentials,
        authorizedScopes: [
          ...claim.task.scopes,
          `queue:create-artifact:${claim.taskId}/${claim.runId}`,
        ],
        onSecretValue: (value) => {
          if (weakened?.masking !== false) log.masker.addSecret(value);
        },
        logger,
        ...(weakened?.proxyPathCheck === false ? { weakenedForTests: { pathCheck: false } } : {}),
      });
      // Its own directory: the sandbox binds that directory, and nothing else of the run.
      mkdirSync(proxySocketDirectory(runDir), { mode: 0o700 });
      proxySocket = proxySocketPath(runDir);
      await proxy.listen({ path: proxySocket });
      // The socket is made as the umask says; it is the sandbox user's alone (S11), from
      // its first moment, not only once the engine hands it over.
      chmodSync(proxySocket, 0o600);
    }
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
      network:
        plan.networkAllow.length > 0
          ? { mode: 'allowlist', allow: plan.networkAllow }
          : { mode: 'none' },
      proxySocket,
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
    proxy?.revoke();
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
    await proxy?.close();
    await outputs.abandon();
    // Never throws, whatever the task left (S19); what stays is set aside and reported.
    const removal = await removeTree(runDir, {
      quarantineDir: quarantineDirectory(config.dataDir),
    });
    if (removal.outcome !== 'removed') {
      logger.warn({ taskId: claim.taskId, ...removal }, 'the run directory could not be removed');
    }
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
