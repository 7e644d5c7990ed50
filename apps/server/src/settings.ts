/**
 * Every setting of `bulwark serve`, declared once: its environment variable, its key
 * in the config file, its command-line option, its type, its default and what it
 * means. The config file's checks, the environment's lookups and the table in
 * docs/operations.md all come from here, so a setting cannot be added to one and
 * forgotten in another.
 */

/** How a value is checked in the config file (the environment only ever holds strings). */
export type SettingType = 'string' | 'integer' | 'services' | 'keyring';

export interface Setting {
  /** The key in the JSON config file (`--config`). */
  readonly key: string;
  /** The environment variable; it overrides the file. */
  readonly env: string;
  /** The command-line option, where one exists; it overrides the environment. */
  readonly option?: string;
  readonly type: SettingType;
  /** The value holds a password or key: a config file holding it must be mode 0600 (S11). */
  readonly secret?: boolean;
  /** The value when no source sets it; documented as is. */
  readonly defaultValue?: string | number;
  /** The default in words, where it is absent or derived (such as the root URL's). */
  readonly defaultText?: string;
  /** What the setting means, in Markdown, for the operations guide. */
  readonly description: string;
}

export const SERVER_SETTINGS = [
  {
    key: 'services',
    env: 'BULWARK_SERVICES',
    option: '--service',
    type: 'services',
    defaultValue: 'all',
    description:
      '`all`, or a comma-separated subset of `auth`, `queue`, `secrets`, `signing` (the file also takes an array); see [Production](#production)',
  },
  {
    key: 'dataDir',
    env: 'BULWARK_DATA_DIR',
    option: '--data-dir',
    type: 'string',
    defaultValue: '.bulwark',
    description: 'data directory',
  },
  {
    key: 'host',
    env: 'BULWARK_HOST',
    option: '--host',
    type: 'string',
    defaultValue: '127.0.0.1',
    description: 'listen address',
  },
  {
    key: 'port',
    env: 'BULWARK_PORT',
    option: '--port',
    type: 'integer',
    defaultValue: 8080,
    description: 'listen port (0 to 65535)',
  },
  {
    key: 'rootUrl',
    env: 'BULWARK_ROOT_URL',
    option: '--root-url',
    type: 'string',
    defaultText: '`http://host:port`',
    description: 'public root URL (behind a reverse proxy, which must keep `Host`)',
  },
  {
    key: 'databaseUrl',
    env: 'BULWARK_DATABASE_URL',
    type: 'string',
    secret: true,
    defaultText: 'unset',
    description: 'external PostgreSQL instead of the embedded one',
  },
  {
    key: 'keyring',
    env: 'BULWARK_KEYRING',
    type: 'keyring',
    secret: true,
    defaultText: 'file in the data dir',
    description:
      'keyring `{"keys":[{"id","key"}]}`, last key current (the file takes the object, or the same JSON as a string)',
  },
  {
    key: 'replayProtection',
    env: 'BULWARK_REPLAY_PROTECTION',
    type: 'string',
    defaultText: '`database`',
    description:
      'only `database`, kept for existing configurations; `memory` was removed and is refused (see [Replay protection](#replay-protection))',
  },
  {
    key: 'logLevel',
    env: 'BULWARK_LOG_LEVEL',
    type: 'string',
    defaultValue: 'info',
    description: 'pino level',
  },
  {
    key: 'claimTimeoutSeconds',
    env: 'BULWARK_CLAIM_TIMEOUT_SECONDS',
    type: 'integer',
    defaultValue: 1200,
    description: 'how long a claim lasts before the worker must reclaim it',
  },
  {
    key: 'builderTrustLevels',
    env: 'BULWARK_BUILDER_TRUST_LEVELS',
    type: 'string',
    defaultText: 'unset: every task queue is level 1',
    description:
      'the trust level the operator states for the workers of task queues, recorded in every provenance: comma-separated `pattern=level` entries, a pattern being a task queue id or a prefix ending in `*`, a level 1 (untrusted), 2 or 3 (release); the first match wins, and a queue no entry matches is level 1 (see `docs/provenance.md`)',
  },
  {
    key: 'amqpUrl',
    env: 'BULWARK_AMQP_URL',
    type: 'string',
    secret: true,
    defaultText: 'unset: not published',
    description:
      'AMQP broker the queue also publishes task events to, Taskcluster-style (see `docs/events.md`, AMQP)',
  },
  {
    key: 'amqpExchangePrefix',
    env: 'BULWARK_AMQP_EXCHANGE_PREFIX',
    type: 'string',
    defaultText: '`exchange/taskcluster-queue/v1/`',
    description: 'prefix of the exchange names',
  },
] as const satisfies readonly Setting[];

export type SettingKey = (typeof SERVER_SETTINGS)[number]['key'];

/** The default of a text setting; a setting declared without one is a programming error. */
export function textDefault(key: SettingKey): string {
  const value = serverSetting(key).defaultValue;
  if (typeof value !== 'string') throw new Error(`the setting ${key} has no text default`);
  return value;
}

/** The default of a whole-number setting; a setting declared without one is a programming error. */
export function numberDefault(key: SettingKey): number {
  const value = serverSetting(key).defaultValue;
  if (typeof value !== 'number') throw new Error(`the setting ${key} has no number default`);
  return value;
}

/** The setting whose config-file key is `key`. */
export function serverSetting(key: SettingKey): Setting {
  // Every SettingKey comes from SERVER_SETTINGS, so the lookup cannot miss.
  return SERVER_SETTINGS.find((setting) => setting.key === key) as Setting;
}
