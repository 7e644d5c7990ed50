import { join, resolve } from 'node:path';
import { parseTrustLevels, type TrustLevelRule } from '@bulwark/queue-service';
import type { ConfigFile } from './config-file.js';
import { numberDefault, serverSetting, textDefault, type SettingKey } from './settings.js';

/** The control-plane services one process can serve. */
export const SERVICE_NAMES = ['auth', 'queue', 'secrets', 'signing'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface PlatformConfig {
  /** Where the embedded database, keyring and root credentials live. */
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  /** Public root URL clients use; defaults to http://<host>:<port>. */
  readonly rootUrl: string;
  /** External PostgreSQL; when absent, a private server is started in dataDir. */
  readonly databaseUrl: string | undefined;
  /** Keyring JSON (`{"keys": [...]}`) from configuration; else a file in dataDir. */
  readonly keyringJson: string | undefined;
  readonly logLevel: string;
  /** Seconds a claim lasts before it must be reclaimed (Taskcluster's default, 1200). */
  readonly claimTimeoutSeconds: number;
  /** The operator's trust levels of task queues, recorded in provenance (empty: all level 1). */
  readonly builderTrustLevels: readonly TrustLevelRule[];
  /** Where the queue also publishes task events (docs/events.md, AMQP); off when absent. */
  readonly amqp: { readonly url: string; readonly exchangePrefix: string | undefined } | undefined;
  /** The filesystem blob store holding artifact data: `<dataDir>/blobs`. */
  readonly blobsDir: string;
  /**
   * The services whose routes this process mounts and whose background jobs it runs,
   * in SERVICE_NAMES order. Every process authenticates requests itself, whatever it
   * serves.
   */
  readonly services: readonly ServiceName[];
  /** Mint a new root token at start even where one exists (command line only). */
  readonly resetRootCredentials: boolean;
}

/** Command-line options: they override the environment, which overrides the file. */
export interface ConfigInput {
  dataDir?: string;
  host?: string;
  port?: number;
  rootUrl?: string;
  /** `all` or a comma-separated list of service names. */
  services?: string;
  resetRootCredentials?: boolean;
}

/**
 * The setting's environment variable (named in settings.ts). An unset variable and an
 * empty one mean the same: not configured here.
 */
function fromEnv(env: NodeJS.ProcessEnv, key: SettingKey): string | undefined {
  const value = env[serverSetting(key).env];
  return value === undefined || value === '' ? undefined : value;
}

/** A whole-number setting: NaN or a fraction is refused by the caller's range check. */
function numberFromEnv(env: NodeJS.ProcessEnv, key: SettingKey): number | undefined {
  const value = fromEnv(env, key);
  return value === undefined ? undefined : Number(value);
}

/**
 * `all`, or names from SERVICE_NAMES separated by commas; the result is in
 * SERVICE_NAMES order without duplicates, so equal selections compare equal.
 */
export function parseServices(value: string | readonly string[]): ServiceName[] {
  const names = (typeof value === 'string' ? value.split(',') : [...value])
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 1 && names[0] === 'all') return [...SERVICE_NAMES];
  if (names.length === 0)
    throw new Error('no service selected: name auth, queue, secrets, signing or all');
  for (const name of names) {
    if (!(SERVICE_NAMES as readonly string[]).includes(name)) {
      throw new Error(
        `unknown service "${name}": choose from ${SERVICE_NAMES.join(', ')} (comma-separated), or all alone`,
      );
    }
  }
  return SERVICE_NAMES.filter((name) => names.includes(name));
}

export const servesAll = (services: readonly ServiceName[]): boolean =>
  SERVICE_NAMES.every((name) => services.includes(name));

/**
 * Refuses combinations that cannot work, in words an operator can act on. Called by
 * resolveConfig and again by startPlatform, for configurations built by hand.
 */
export function checkConfig(config: PlatformConfig): void {
  const list = config.services.join(',');
  if (!config.databaseUrl && !servesAll(config.services)) {
    // The embedded server belongs to one process and listens on a private socket, so
    // processes serving the other services could never reach it.
    throw new Error(
      `--service ${list} needs an external PostgreSQL: set BULWARK_DATABASE_URL (or ` +
        '"databaseUrl" in the config file); the embedded database serves only --service all',
    );
  }
  if (!config.keyringJson && !servesAll(config.services)) {
    // A keyring generated here would differ from the other processes' ones, and
    // none of them could open what another sealed.
    throw new Error(
      `--service ${list} needs the deployment's keyring from configuration: set ` +
        'BULWARK_KEYRING (or "keyring" in the config file) to the same value in every process',
    );
  }
  if (config.resetRootCredentials && !config.services.includes('auth')) {
    throw new Error('--reset-root-credentials needs a process that serves auth');
  }
}

/**
 * Resolves configuration once, from command-line options, then the environment,
 * then the config file (`--config`), then defaults, and freezes it: nothing below
 * reads the environment or the file again.
 */
export function resolveConfig(
  input: ConfigInput,
  env: NodeJS.ProcessEnv = process.env,
  file: ConfigFile = {},
): PlatformConfig {
  const host = input.host ?? fromEnv(env, 'host') ?? file.host ?? textDefault('host');
  const port = input.port ?? numberFromEnv(env, 'port') ?? file.port ?? numberDefault('port');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid port ${String(port)}`);
  const databaseUrl = fromEnv(env, 'databaseUrl') ?? file.databaseUrl;
  const claimTimeoutSeconds =
    numberFromEnv(env, 'claimTimeoutSeconds') ??
    file.claimTimeoutSeconds ??
    numberDefault('claimTimeoutSeconds');
  if (!Number.isInteger(claimTimeoutSeconds) || claimTimeoutSeconds < 1) {
    throw new Error('BULWARK_CLAIM_TIMEOUT_SECONDS must be a whole number of seconds');
  }
  // Seen nonces always live in the database, shared by every process and kept across
  // restarts (S13, decision D24). The setting is still read so that a deployment
  // asking for the removed in-process cache learns it is gone instead of silently
  // getting something else.
  const replay = fromEnv(env, 'replayProtection') ?? file.replayProtection;
  if (replay !== undefined && replay !== 'database') {
    throw new Error(
      'BULWARK_REPLAY_PROTECTION: the only value is "database" (the in-memory nonce cache ' +
        'was removed: it forgot every nonce at a restart); remove the setting',
    );
  }
  const builderTrustLevels = parseTrustLevels(
    fromEnv(env, 'builderTrustLevels') ?? file.builderTrustLevels ?? '',
  );
  const amqpUrl = fromEnv(env, 'amqpUrl') ?? file.amqpUrl;
  // The URL usually holds a password: the message names the variable, never the value.
  if (amqpUrl !== undefined && !/^amqps?:\/\/[^/]/.test(amqpUrl)) {
    throw new Error('BULWARK_AMQP_URL must be an amqp:// or amqps:// URL');
  }
  const amqpExchangePrefix = fromEnv(env, 'amqpExchangePrefix') ?? file.amqpExchangePrefix;
  const services = parseServices(
    input.services ?? fromEnv(env, 'services') ?? file.services ?? textDefault('services'),
  );
  const keyringFromFile =
    typeof file.keyring === 'string' || file.keyring === undefined
      ? file.keyring
      : JSON.stringify(file.keyring);
  const dataDir = resolve(
    input.dataDir ?? fromEnv(env, 'dataDir') ?? file.dataDir ?? textDefault('dataDir'),
  );
  const rootUrl = input.rootUrl ?? fromEnv(env, 'rootUrl') ?? file.rootUrl;
  const config: PlatformConfig = Object.freeze({
    dataDir,
    blobsDir: join(dataDir, 'blobs'),
    host,
    port,
    rootUrl: (rootUrl ?? `http://${host}:${port}`).replace(/\/+$/, ''),
    databaseUrl,
    keyringJson: fromEnv(env, 'keyring') ?? keyringFromFile,
    logLevel: fromEnv(env, 'logLevel') ?? file.logLevel ?? textDefault('logLevel'),
    claimTimeoutSeconds,
    builderTrustLevels: Object.freeze(builderTrustLevels),
    amqp:
      amqpUrl === undefined
        ? undefined
        : Object.freeze({ url: amqpUrl, exchangePrefix: amqpExchangePrefix }),
    services: Object.freeze(services),
    resetRootCredentials: input.resetRootCredentials === true,
  });
  checkConfig(config);
  return config;
}
