/**
 * Every setting of `bulwark worker --config FILE`, declared once: its key in the file,
 * the environment variable that overrides it (for the settings people change most),
 * how it is checked, its default and what it means. The configuration's schema and
 * environment lookups (worker-config.ts) and the tables in docs/worker.md all come from
 * here (`npm run docs:settings`), so a setting cannot be added to one and forgotten in
 * another.
 */

/** How the environment's text becomes the setting's value. */
export type WorkerSettingType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array';

export interface WorkerSetting {
  /** The key in the JSON configuration file. */
  readonly key: string;
  /** The environment variable that overrides the file, where one exists. */
  readonly env?: string;
  readonly type: WorkerSettingType;
  /** The JSON schema the value is checked against (ajv, strict). */
  readonly schema: Readonly<Record<string, unknown>>;
  /** The file must give it (or its environment variable). */
  readonly required?: boolean;
  /** The value holds a credential: a file holding it must be mode 0600 (S11). */
  readonly secret?: boolean;
  /** A switch only tests use: documented apart from the operator's settings, refused unless gated. */
  readonly testOnly?: boolean;
  /** The value when no source sets it; documented as is. */
  readonly defaultValue?: string | number | boolean;
  /** The default in words, where it is absent or derived. */
  readonly defaultText?: string;
  /** What the setting means, in Markdown, for docs/worker.md. */
  readonly description: string;
}

const IDENTIFIER = '^[a-zA-Z0-9_-]{1,38}$';

/** The resources a task may ask for (`maxResources`) or gets by default (`defaultResources`). */
export const LIMITS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['memoryMB', 'pids', 'cpus'],
  properties: {
    memoryMB: { type: 'integer', minimum: 16 },
    pids: { type: 'integer', minimum: 8 },
    cpus: { type: 'number', minimum: 0.01 },
    diskMB: { type: 'integer', minimum: 16, maximum: 16_777_216 },
  },
} as const;

export const WORKER_SETTINGS = [
  {
    key: 'rootUrl',
    env: 'BULWARK_WORKER_ROOT_URL',
    type: 'string',
    schema: { type: 'string', pattern: '^https?://', maxLength: 2048 },
    required: true,
    description: "the control plane's public root URL",
  },
  {
    key: 'taskQueueId',
    env: 'BULWARK_WORKER_TASK_QUEUE_ID',
    type: 'string',
    schema: { type: 'string', pattern: '^[a-zA-Z0-9_-]{1,38}/[a-zA-Z0-9_-]{1,38}$' },
    required: true,
    description: 'the task queue the worker claims from (`provisioner/workerType`)',
  },
  {
    key: 'workerGroup',
    env: 'BULWARK_WORKER_GROUP',
    type: 'string',
    schema: { type: 'string', pattern: IDENTIFIER },
    required: true,
    description: "the worker's group",
  },
  {
    key: 'workerId',
    env: 'BULWARK_WORKER_ID',
    type: 'string',
    schema: { type: 'string', pattern: IDENTIFIER },
    required: true,
    description: "the worker's id within its group",
  },
  {
    key: 'capacity',
    env: 'BULWARK_WORKER_CAPACITY',
    type: 'integer',
    schema: { type: 'integer', minimum: 1, maximum: 256 },
    defaultValue: 1,
    description: 'tasks run at once (1 to 256)',
  },
  {
    key: 'engine',
    env: 'BULWARK_WORKER_ENGINE',
    type: 'string',
    schema: { enum: ['sandbox', 'insecure'] },
    defaultValue: 'sandbox',
    description:
      '`sandbox`, or `insecure` (plain child processes, for development; needs `isolated: false` and `--allow-insecure`)',
  },
  {
    key: 'isolated',
    type: 'boolean',
    schema: { type: 'boolean' },
    defaultValue: true,
    description: 'an isolated pool runs tasks only in the sandbox engine (S9)',
  },
  {
    key: 'maxRunTime',
    type: 'integer',
    schema: { type: 'integer', minimum: 1 },
    defaultValue: 3600,
    description: "the most seconds a payload's `maxRunTime` may ask for",
  },
  {
    key: 'maxResources',
    type: 'object',
    schema: LIMITS_SCHEMA,
    defaultText: '`{"memoryMB": 4096, "pids": 1024, "cpus": 2, "diskMB": 8192}`',
    description: 'the most a payload\'s `resources` may ask for (`diskMB`: see "Disk" below)',
  },
  {
    key: 'defaultResources',
    type: 'object',
    schema: LIMITS_SCHEMA,
    defaultText:
      '`{"memoryMB": 1024, "pids": 256, "cpus": 1, "diskMB": 2048}`, each at most the maximum',
    description: 'what a task gets when its payload asks for nothing',
  },
  {
    key: 'networkAllow',
    type: 'array',
    schema: { type: 'array', items: { type: 'string', maxLength: 260 }, maxItems: 1024 },
    defaultText: '`[]`: tasks have only loopback',
    description:
      'the destinations (`address:port`, `name:port`) payloads may ask to reach, read strictly (S7; see [sandbox.md](sandbox.md))',
  },
  {
    key: 'dataDir',
    env: 'BULWARK_WORKER_DATA_DIR',
    type: 'string',
    schema: { type: 'string', minLength: 1, maxLength: 4096 },
    required: true,
    description: "the worker's own data directory (run directories, task disk, quarantine)",
  },
  {
    key: 'credentialsFile',
    env: 'BULWARK_WORKER_CREDENTIALS_FILE',
    type: 'string',
    schema: { type: 'string', minLength: 1, maxLength: 4096 },
    defaultText: 'unset: `credentials` is given instead',
    description: 'a 0600 file holding `{"clientId", "accessToken"}`',
  },
  {
    key: 'credentials',
    type: 'object',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['clientId', 'accessToken'],
      properties: {
        clientId: { type: 'string', minLength: 1, maxLength: 256 },
        accessToken: { type: 'string', minLength: 1, maxLength: 256 },
      },
    },
    secret: true,
    defaultText: 'unset: `credentialsFile` is given instead',
    description:
      '`{"clientId", "accessToken"}` in the configuration itself, which must then be mode 0600 (one file to copy to a worker host)',
  },
  {
    key: 'shutdownGraceSeconds',
    type: 'integer',
    schema: { type: 'integer', minimum: 0, maximum: 86_400 },
    defaultValue: 30,
    description:
      'seconds running tasks get to finish after SIGTERM before they are resolved `worker-shutdown`',
  },
  {
    key: 'diskImageMB',
    type: 'integer',
    schema: { type: 'integer', minimum: 256, maximum: 1_073_741_824 },
    defaultText: '`capacity` × `maxResources.diskMB` + 512 + `maxResources.diskMB`',
    description: 'size of the sparse image holding the task directories (S19; see "Disk" below)',
  },
  {
    key: 'testOnlyTamperArtifact',
    type: 'string',
    schema: { type: 'string', minLength: 1, maxLength: 1024 },
    testOnly: true,
    defaultText: 'unset',
    description:
      'the task artifact whose first byte the worker flips before upload, to play a compromised worker; refused unless `BULWARK_TEST_ONLY_TAMPER=1`',
  },
] as const satisfies readonly WorkerSetting[];

/**
 * Test-only controls that are not configuration keys: set by test code or the
 * exercise's harness, never by an operator. Documented beside the test-only settings.
 */
export const WORKER_TEST_ONLY_CONTROLS: readonly { name: string; description: string }[] = [
  {
    name: 'BULWARK_TEST_ONLY_TAMPER',
    description: 'environment variable: `1` lets `testOnlyTamperArtifact` be configured',
  },
  {
    name: 'weakenedForTests',
    description:
      "an option of the sandbox engine in code (no configuration key): switches off named controls (seccomp, pid or network namespace, the proxy's path check, masking) for the exercise's weakened targets; every task log and the worker's log say so",
  },
];

export type WorkerSettingKey = (typeof WORKER_SETTINGS)[number]['key'];

/** The setting whose file key is `key`. */
export function workerSetting(key: WorkerSettingKey): WorkerSetting {
  // Every WorkerSettingKey comes from WORKER_SETTINGS, so the lookup cannot miss.
  return WORKER_SETTINGS.find((setting) => setting.key === key) as WorkerSetting;
}

/** The declared default of a setting that has a plain one; a missing one is a programming error. */
export function workerDefault<T extends string | number | boolean>(
  key: WorkerSettingKey,
  kind: 'string' | 'number' | 'boolean',
): T {
  const value = workerSetting(key).defaultValue;
  if (typeof value !== kind) throw new Error(`the worker setting ${key} has no ${kind} default`);
  return value as T;
}
