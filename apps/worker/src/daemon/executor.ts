import type { Writable } from 'node:stream';
import type { ResourceLimits } from '../payload/payload.js';

/** What the daemon asks an engine to run: one task's commands, in its directory. */
export interface ExecutionRequest {
  /** Run in order; the first that fails ends the task. */
  commands: string[][];
  env: Record<string, string>;
  taskDir: string;
  resources: ResourceLimits;
  /** Seconds for all commands together. */
  maxRunTime: number;
  /** host:port destinations beyond the proxy; empty means no network at all. */
  networkAllow: { host: string; port: number }[];
  /** The per-task proxy's unix socket, to be exposed inside as TASKCLUSTER_PROXY_URL. */
  proxySocket: string | undefined;
  /** The task's stdout and stderr, interleaved as written. */
  output: Writable;
  /** Aborts the task: the claim was lost, the deadline passed, or the worker is stopping. */
  signal: AbortSignal;
}

export type ExecutionOutcome = 'exited' | 'oom' | 'timeout' | 'aborted' | 'failed-to-start';

export interface ExecutionResult {
  outcome: ExecutionOutcome;
  /** The last command's exit code, when it exited. */
  exitCode: number | null;
  /** Plain words for the log when the outcome is not a normal exit. */
  message?: string;
  /** True when the engine gave no isolation; the log says so on every task (S9). */
  insecure: boolean;
}

/** A sandbox engine as the daemon uses it. */
export interface Executor {
  readonly name: string;
  run(request: ExecutionRequest): Promise<ExecutionResult>;
}
