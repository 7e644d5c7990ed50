import type { Logger } from 'pino';
import type { TaskPlan } from '../../payload/payload.js';
import type { RunCredentials } from '../../proxy/run-credentials.js';
import type { WeakenedForTests } from '../../sandbox/bwrap-command.js';
import type { NetworkPolicy } from '../../sandbox/engine.js';
import type { Claim } from '../queue-api.js';
import type { RunLease } from '../run-lease.js';
import type { RunOutputs } from '../run-outputs.js';
import type { TaskLog } from '../task-log.js';
import type { TaskRunDeps } from '../task-run.js';

/**
 * What the features of one run share: the claim and the worker's parts, the run's
 * directories, log, lease and outputs, and the parts of the engine's request that
 * features supply (the proxy's socket, the network policy).
 */
export interface TaskRun {
  readonly claim: Claim;
  readonly deps: TaskRunDeps;
  readonly logger: Logger;
  /** The run's own directory, private to the worker (S11). */
  readonly runDir: string;
  /** The task's working directory, inside runDir. */
  readonly taskDir: string;
  readonly log: TaskLog;
  readonly lease: RunLease;
  readonly outputs: RunOutputs;
  /** Test-only controls the engine switched off; the features honour their share. */
  readonly weakened: WeakenedForTests | undefined;
  /** Set once the payload is planned; features started before that must not need it. */
  plan?: TaskPlan;
  /** The task proxy's unix socket, when a feature started one. */
  proxySocket?: string;
  /** The task's network (S7): none, unless a feature opened an allowlist. */
  network: NetworkPolicy;
  /** Told the fresh credentials after every reclaim. */
  readonly credentialListeners: ((credentials: RunCredentials) => void)[];
}

/** A started feature: undone in reverse order of starting, whatever happened to the run. */
export interface StartedFeature {
  /** Called once the task's commands have ended, before the run's outputs are published. */
  taskFinished?(): void;
  /** Releases what start made; must not throw (failures are logged by the caller). */
  stop(): Promise<void>;
}

/**
 * One part of running a task, with a start before the task and a stop after it, as
 * generic-worker's task features. A start that throws ends the run exception
 * internal-error (the worker's fault, so the task is retried); what the features
 * started before it are stopped again.
 */
export interface TaskFeature {
  /** Names the feature in the worker's logs. */
  readonly name: string;
  /** Whether this run needs the feature (what its payload asks for, or always). */
  isEnabled(run: TaskRun): boolean;
  start(run: TaskRun): Promise<StartedFeature>;
}

/** A started feature with nothing to undo. */
export const NOTHING_TO_STOP: StartedFeature = { stop: () => Promise.resolve() };
