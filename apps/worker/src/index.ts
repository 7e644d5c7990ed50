export { Worker } from './daemon/worker.js';
export { createWorkerQueue, type Claim, type WorkerQueue } from './daemon/queue-api.js';
export {
  loadWorkerConfig,
  loadWorkerCredentials,
  WorkerConfigError,
  type WorkerConfig,
} from './daemon/worker-config.js';
export type {
  Destination,
  Executor,
  ExecutionRequest,
  ExecutionResult,
  NetworkPolicy,
} from './sandbox/engine.js';
export { SandboxEngine, type SandboxEngineOptions } from './sandbox/sandbox-engine.js';
export type { WeakenedForTests } from './sandbox/bwrap-command.js';
export { detectCgroupVersion, TaskCgroup } from './sandbox/cgroup.js';
export { workerPayloadSchema } from './payload/payload-schema.js';
export { prepareEngine, startWorker, ControlsFailed, SANDBOX_GID } from './daemon/start-worker.js';
export { prepareDataDir } from './daemon/data-dir.js';
export { InsecureEngine } from './sandbox/insecure-engine.js';
export { selfTest, type ControlCheck } from './sandbox/self-test.js';
export { destroyLeftovers, type Leftovers } from './sandbox/recovery.js';
export { ProbeDestination, PROBE_PORTS } from './sandbox/network/probe-destination.js';
export { createEngine, EngineRefused } from './sandbox/create-engine.js';
export { TaskDisks, type TaskDisksOptions } from './sandbox/disk-quota/task-disks.js';
export { WORKER_LINE_PREFIX, WORKER_MARK, visibleControls } from './logs/worker-lines.js';
