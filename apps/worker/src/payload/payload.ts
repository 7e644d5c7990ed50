import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { satisfiesScope } from '@bulwark/scopes';
import { artifactNameProblem } from '../artifacts/artifact-name.js';
import { workerLogNameProblem } from '../artifacts/worker-log-names.js';
import { AllowEntryError, entryText, parseAllowEntry } from '../sandbox/network/allow-entry.js';
import { workerPayloadSchema } from './payload-schema.js';

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export interface ResourceLimits {
  memoryMB: number;
  pids: number;
  cpus: number;
  /**
   * The task directory's disk limit: data and metadata together, so it bounds inodes
   * too (S19). Set whenever the pool sets one (the worker's configuration always does).
   */
  diskMB?: number;
}

/** What a worker pool allows; the worker's configuration sets it. */
export interface PoolLimits {
  maxRunTime: number;
  /** The most a task may ask for, and what it gets when it asks for nothing. */
  max: ResourceLimits;
  defaults: ResourceLimits;
  /** host:port destinations tasks of this pool may ask for (still each behind a scope). */
  networkAllow: readonly string[];
}

export interface ArtifactSpec {
  type: 'file' | 'directory';
  path: string;
  name: string;
  expires: string | undefined;
  contentType: string | undefined;
}

/** A payload that passed every check, with every default applied. */
export interface TaskPlan {
  commands: string[][];
  env: Record<string, string>;
  maxRunTime: number;
  artifacts: ArtifactSpec[];
  taskclusterProxy: boolean;
  networkAllow: { host: string; port: number }[];
  resources: ResourceLimits;
  retryExitCodes: number[];
}

export type PlanResult = { ok: true; plan: TaskPlan } | { ok: false; problems: string[] };

/** Names the worker sets itself; a payload may not override them. */
const RESERVED_ENV = /^(TASKCLUSTER_.*|TASK_ID|RUN_ID|TASK_WORKDIR)$/;

const ajv = new Ajv({ strict: true, allErrors: true, coerceTypes: false, useDefaults: false });
addFormats(ajv);
const validate = ajv.compile(workerPayloadSchema);

/**
 * Checks a task's payload against the published schema, the pool's limits and the
 * task's scopes, and applies defaults. Every problem is listed (for the
 * malformed-payload error artifact), not only the first.
 */
export function planTask(
  payload: unknown,
  task: { taskQueueId: string; scopes: readonly string[] },
  pool: PoolLimits,
): PlanResult {
  if (!validate(payload)) return { ok: false, problems: describe(validate.errors ?? []) };
  const p = payload as PayloadShape;
  const problems: string[] = [];

  const commands = isArgvList(p.command) ? p.command : [p.command];
  const env = p.env ?? {};
  for (const name of Object.keys(env)) {
    if (RESERVED_ENV.test(name))
      problems.push(`env.${name} is set by the worker and cannot be overridden`);
  }
  const maxRunTime = p.maxRunTime ?? pool.maxRunTime;
  if (maxRunTime > pool.maxRunTime) {
    problems.push(
      `maxRunTime ${maxRunTime} exceeds this pool's limit of ${pool.maxRunTime} seconds`,
    );
  }
  const resources: ResourceLimits = { ...pool.defaults, ...p.resources };
  for (const key of ['memoryMB', 'pids', 'cpus', 'diskMB'] as const) {
    const wanted = resources[key];
    const most = pool.max[key];
    if (wanted !== undefined && most !== undefined && wanted > most) {
      problems.push(`resources.${key} ${wanted} exceeds this pool's limit of ${most}`);
    }
  }
  const networkAllow: { host: string; port: number }[] = [];
  for (const entry of p.network?.allow ?? []) {
    let parsed: { host: string; port: number };
    try {
      parsed = parseAllowEntry(entry);
    } catch (err) {
      if (!(err instanceof AllowEntryError)) throw err;
      problems.push(`network.allow ${entry}: ${err.message}`);
      continue;
    }
    const { host, port } = parsed;
    const scope = `worker:network:${task.taskQueueId}/${entryText(parsed)}`;
    if (!pool.networkAllow.includes(entryText(parsed))) {
      problems.push(`network.allow ${entry}: this pool does not permit that destination`);
    } else if (!task.scopes.some((s) => satisfiesScope([s], scope))) {
      problems.push(`network.allow ${entry}: the task lacks the scope ${scope}`);
    } else networkAllow.push({ host, port });
  }
  for (const artifact of p.artifacts ?? []) {
    const trouble = artifactPathProblem(artifact.path);
    if (trouble) problems.push(`artifact ${artifact.name}: ${trouble}`);
    const badName = artifactNameProblem(artifact.name);
    if (badName) problems.push(`artifact name ${JSON.stringify(artifact.name)} ${badName}`);
    // S18: the worker's log is the worker's word, never a task's file.
    const logName = workerLogNameProblem(artifact.name, artifact.type);
    if (logName) problems.push(`artifact name ${JSON.stringify(artifact.name)} ${logName}`);
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    plan: {
      commands,
      env,
      maxRunTime,
      artifacts: (p.artifacts ?? []).map((a) => ({
        type: a.type,
        path: a.path,
        name: a.name,
        expires: a.expires,
        contentType: a.contentType,
      })),
      taskclusterProxy: p.features?.taskclusterProxy ?? false,
      networkAllow,
      resources,
      retryExitCodes: p.onExitStatus?.retry ?? [],
    },
  };
}

/**
 * Artifact paths are relative to the task directory and stay inside it (S12). This is
 * the first line; the uploader also refuses symlinks and re-checks the real path.
 */
export function artifactPathProblem(path: string): string | undefined {
  if (path.startsWith('/')) return 'the path must be relative to the task directory';
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'the path contains a control character';
  if (path.split('/').some((segment) => segment === '..')) return 'the path must not contain ..';
  return undefined;
}

interface PayloadShape {
  command: string[] | string[][];
  env?: Record<string, string>;
  maxRunTime?: number;
  artifacts?: {
    type: 'file' | 'directory';
    path: string;
    name: string;
    expires?: string;
    contentType?: string;
  }[];
  features?: { taskclusterProxy?: boolean };
  network?: { allow?: string[] };
  resources?: Partial<ResourceLimits>;
  onExitStatus?: { retry?: number[] };
}

function isArgvList(command: string[] | string[][]): command is string[][] {
  return Array.isArray(command[0]);
}

function describe(errors: ErrorObject[]): string[] {
  // oneOf reports every branch; keep the messages people can act on, once each.
  const lines = errors
    .filter((e) => e.keyword !== 'oneOf')
    .map((e) => `payload${e.instancePath.replace(/\//g, '.')} ${e.message ?? 'is invalid'}`);
  return [...new Set(lines)].slice(0, 20);
}
