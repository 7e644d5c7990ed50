import type { Writable } from 'node:stream';
import type { ResourceLimits } from '../payload/payload.js';
import type { WeakenedForTests } from './bwrap-command.js';

/** A destination a task may reach in allowlist mode: an IPv4 address or a name, and a port. */
export interface Destination {
  host: string;
  port: number;
}

/**
 * What the task's network looks like (S7). `none`: an empty network namespace, only
 * loopback; the proxy (a unix socket) is the task's one way out. `allowlist`: a
 * namespace joined to the host by a veth pair, where only the listed destinations
 * (TCP and UDP to that address and port) are forwarded and everything else, the
 * worker host's own addresses included, is refused.
 */
export type NetworkPolicy = { mode: 'none' } | { mode: 'allowlist'; allow: Destination[] };

/** What the daemon asks an engine to run: one task's commands, in its directory. */
export interface ExecutionRequest {
  /** Run in order; the first that fails ends the task. */
  commands: string[][];
  env: Record<string, string>;
  /** The task directory: writable, and the commands' working directory. */
  taskDir: string;
  resources: ResourceLimits;
  /** Seconds for all commands together. */
  maxRunTime: number;
  network: NetworkPolicy;
  /**
   * The per-task proxy's unix socket, alone in its directory. The sandbox binds that
   * directory and exposes it inside as an ordinary `TASKCLUSTER_PROXY_URL`.
   */
  proxySocket: string | undefined;
  /** Where the task's output goes. Neither is ended by the engine. */
  stdout: Writable;
  stderr: Writable;
  /** Aborts the task: the claim was lost, the deadline passed, or the worker is stopping. */
  signal: AbortSignal;
  /**
   * Told when the first command has been handed to the sandbox, and whether its start
   * was prepared ahead (see Executor.prepare): for the worker's timing logs.
   */
  onStarted?: (start: { prepared: boolean }) => void;
}

/** `disk-full`: the task reached its disk limit (S19); its writes past it failed. */
export type ExecutionOutcome =
  'exited' | 'oom' | 'disk-full' | 'timeout' | 'aborted' | 'failed-to-start';

export interface ExecutionResult {
  outcome: ExecutionOutcome;
  /**
   * The last command's exit code. A command that died of a signal N shows 128 + N,
   * the shell's convention, which bubblewrap follows.
   */
  exitCode: number | null;
  /** The signal that ended the last command, when the engine can tell. */
  signal?: NodeJS.Signals;
  /** Plain words for the log when the outcome is not a normal exit. */
  message?: string;
  /** True when the engine gave no isolation; the log says so on every task (S9). */
  insecure: boolean;
}

/** A sandbox engine as the daemon uses it. */
export interface Executor {
  readonly name: 'sandbox' | 'insecure';
  /**
   * Test-only controls switched off (see WeakenedForTests); the daemon switches off the
   * proxy's and the log's share of them, and says so in every task log it affects.
   */
  readonly weakenedForTests?: WeakenedForTests;
  run(request: ExecutionRequest): Promise<ExecutionResult>;
  /**
   * Gets what the next task's start needs ready while the worker waits for work (the
   * sandbox engine: its cgroup, with a launcher already in it), for a task with these
   * limits. Never rejects: what cannot be prepared is made when the task comes.
   */
  prepare?(resources: ResourceLimits): Promise<void>;
  /** Releases what prepare() made and no task used; called when the worker stops. */
  close?(): Promise<void>;
}
