import { readFile, stat } from 'node:fs/promises';
import { Ajv } from 'ajv';
import type { PoolLimits } from '../payload/payload.js';
import { TAMPER_GATE, tamperAllowed } from '../artifacts/tamper.js';
import { AllowEntryError, entryText, parseAllowEntry } from '../sandbox/network/allow-entry.js';
import { WORKER_SETTINGS, workerDefault } from './worker-settings.js';

export type EngineName = 'sandbox' | 'insecure';

/** A worker's whole configuration, resolved once at start-up and frozen. */
export interface WorkerConfig {
  rootUrl: string;
  taskQueueId: string;
  workerGroup: string;
  workerId: string;
  capacity: number;
  engine: EngineName;
  /** An isolated pool runs tasks only in the sandbox engine (S9). */
  isolated: boolean;
  limits: PoolLimits;
  dataDir: string;
  /**
   * A 0600 file holding `{clientId, accessToken}`, or the configuration file itself
   * when that holds them as `credentials` (one file to copy to a worker host); never
   * argv, never the environment.
   */
  credentialsFile: string;
  /** Seconds running tasks get to finish after SIGTERM before they are resolved worker-shutdown. */
  shutdownGraceSeconds: number;
  /**
   * MB of the sparse image that holds the task directories (S19), in the data
   * directory; room for `capacity` tasks at the pool's largest disk limit, and one
   * more being prepared. Always set by loadWorkerConfig.
   */
  diskImageMB?: number;
  /**
   * Test-only: the task artifact whose first byte this worker flips before upload,
   * to play a compromised worker (artifacts/tamper.ts). Refused unless
   * BULWARK_TEST_ONLY_TAMPER=1.
   */
  testOnlyTamperArtifact?: string;
}

/** A task's disk when it asks for nothing, and the most it may ask for, unless configured. */
const DEFAULT_DISK_MB = 2048;
const DEFAULT_MAX_DISK_MB = 8192;

/** The file's schema, from the declarations: each setting's check, and those it must give. */
const configSchema = {
  type: 'object',
  additionalProperties: false,
  required: WORKER_SETTINGS.filter((s) => 'required' in s && s.required).map((s) => s.key),
  properties: Object.fromEntries(WORKER_SETTINGS.map((s) => [s.key, s.schema])),
};

const validate = new Ajv({ strict: true, allErrors: true }).compile(configSchema);

type FileConfig = Partial<Omit<WorkerConfig, 'limits'>> & {
  credentials?: { clientId: string; accessToken: string };
  maxRunTime?: number;
  maxResources?: PoolLimits['max'];
  defaultResources?: PoolLimits['defaults'];
  networkAllow?: string[];
};

/** The settings the environment overrides, with how its text becomes their value. */
const FROM_ENV = WORKER_SETTINGS.flatMap((setting) =>
  'env' in setting ? [{ variable: setting.env, key: setting.key, type: setting.type }] : [],
);

/** The least task disk that holds every running task at the largest limit, and the logs. */
function neededDiskImageMB(capacity: number, maxDiskMB: number): number {
  return capacity * maxDiskMB + 512;
}

/** The task disk's size unless configured: what is needed, and a subvolume made ahead. */
export function defaultDiskImageMB(capacity: number, maxDiskMB: number): number {
  return neededDiskImageMB(capacity, maxDiskMB) + maxDiskMB;
}

export class WorkerConfigError extends Error {
  override readonly name = 'WorkerConfigError';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_WORKER_CONFIG';
}

export async function loadWorkerConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Readonly<WorkerConfig>> {
  const fromFile: FileConfig = file ? await readJson<FileConfig>(file, 'worker configuration') : {};
  const merged: Record<string, unknown> = { ...fromFile };
  for (const { variable, key, type } of FROM_ENV) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    merged[key] = type === 'integer' ? Number(value) : value;
  }
  if (!validate(merged)) {
    const problems = (validate.errors ?? []).map(
      (e) => `${e.instancePath || 'config'} ${e.message ?? ''}`,
    );
    throw new WorkerConfigError(`invalid worker configuration: ${problems.join('; ')}`);
  }
  const config = merged as FileConfig &
    Pick<WorkerConfig, 'rootUrl' | 'taskQueueId' | 'workerGroup' | 'workerId' | 'dataDir'>;
  // The credentials in a file of their own, or in this one (read from it, with the same
  // 0600 check); never both, never neither.
  if ((config.credentialsFile === undefined) === (config.credentials === undefined)) {
    throw new WorkerConfigError(
      'invalid worker configuration: give either credentialsFile or credentials, not both',
    );
  }
  const credentialsFile = config.credentialsFile ?? file;
  if (credentialsFile === undefined) {
    throw new WorkerConfigError('credentials kept in the configuration need a configuration file');
  }
  const maxGiven = config.maxResources ?? { memoryMB: 4096, pids: 1024, cpus: 2 };
  const max = { ...maxGiven, diskMB: maxGiven.diskMB ?? DEFAULT_MAX_DISK_MB };
  const defaultsGiven = config.defaultResources ?? {
    memoryMB: Math.min(1024, max.memoryMB),
    pids: Math.min(256, max.pids),
    cpus: Math.min(1, max.cpus),
  };
  const defaults = {
    ...defaultsGiven,
    diskMB: defaultsGiven.diskMB ?? Math.min(DEFAULT_DISK_MB, max.diskMB),
  };
  const capacity = config.capacity ?? workerDefault<number>('capacity', 'number');
  const neededImageMB = neededDiskImageMB(capacity, max.diskMB);
  const diskImageMB = config.diskImageMB ?? defaultDiskImageMB(capacity, max.diskMB);
  if (diskImageMB < neededImageMB) {
    throw new WorkerConfigError(
      `diskImageMB ${diskImageMB} cannot hold ${capacity} task(s) at maxResources.diskMB ${max.diskMB}: it needs at least ${neededImageMB}`,
    );
  }
  const engine = config.engine ?? workerDefault<EngineName>('engine', 'string');
  const isolated = config.isolated ?? workerDefault<boolean>('isolated', 'boolean');
  if (isolated && engine !== 'sandbox') {
    throw new WorkerConfigError(
      `an isolated pool runs tasks only in the sandbox engine, not "${engine}"`,
    );
  }
  if (config.testOnlyTamperArtifact !== undefined && !tamperAllowed(env)) {
    throw new WorkerConfigError(
      `testOnlyTamperArtifact is a test-only switch that corrupts artifacts; it is refused unless ${TAMPER_GATE}=1`,
    );
  }
  return Object.freeze({
    rootUrl: config.rootUrl.replace(/\/+$/, ''),
    taskQueueId: config.taskQueueId,
    workerGroup: config.workerGroup,
    workerId: config.workerId,
    capacity,
    engine,
    isolated,
    limits: Object.freeze({
      maxRunTime: config.maxRunTime ?? workerDefault<number>('maxRunTime', 'number'),
      max,
      defaults,
      networkAllow: poolDestinations(config.networkAllow ?? []),
    }),
    dataDir: config.dataDir,
    credentialsFile,
    shutdownGraceSeconds:
      config.shutdownGraceSeconds ?? workerDefault<number>('shutdownGraceSeconds', 'number'),
    diskImageMB,
    ...(config.testOnlyTamperArtifact !== undefined
      ? { testOnlyTamperArtifact: config.testOnlyTamperArtifact }
      : {}),
  });
}

/**
 * The pool's permitted destinations, each read strictly (S7): an entry the resolver
 * could read otherwise than it looks (`010.250.000.002` is octal to it) is refused with
 * every other bad entry, naming each, and the worker does not start.
 */
function poolDestinations(entries: readonly string[]): string[] {
  const problems: string[] = [];
  const parsed: string[] = [];
  for (const entry of entries) {
    try {
      parsed.push(entryText(parseAllowEntry(entry)));
    } catch (err) {
      if (!(err instanceof AllowEntryError)) throw err;
      problems.push(`networkAllow ${JSON.stringify(entry)}: ${err.message}`);
    }
  }
  if (problems.length > 0) {
    throw new WorkerConfigError(`invalid worker configuration: ${problems.join('; ')}`);
  }
  return parsed;
}

/** The worker's own credentials, from a file only its user can read (S11). */
export async function loadWorkerCredentials(
  file: string,
): Promise<{ clientId: string; accessToken: string }> {
  const info = await stat(file).catch(() => undefined);
  if (!info) throw new WorkerConfigError(`credentials file ${file} does not exist`);
  if ((info.mode & 0o077) !== 0) {
    throw new WorkerConfigError(
      `credentials file ${file} is readable by others (mode ${(info.mode & 0o777).toString(8)}); run: chmod 600 ${file}`,
    );
  }
  type Held = { clientId?: unknown; accessToken?: unknown };
  const read = await readJson<Held & { credentials?: Held }>(file, 'credentials');
  // A worker configuration that holds its credentials has them under `credentials`.
  const parsed = typeof read.credentials === 'object' && read.credentials ? read.credentials : read;
  if (typeof parsed.clientId !== 'string' || typeof parsed.accessToken !== 'string') {
    throw new WorkerConfigError(`credentials file ${file} must hold {"clientId", "accessToken"}`);
  }
  return { clientId: parsed.clientId, accessToken: parsed.accessToken };
}

async function readJson<T>(file: string, what: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new WorkerConfigError(`cannot read the ${what} file ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new WorkerConfigError(`the ${what} file ${file} is not valid JSON`);
  }
}
