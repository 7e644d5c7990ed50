import { join, resolve } from 'node:path';

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
  readonly replayProtection: 'memory' | 'database';
  readonly logLevel: string;
  /** Seconds a claim lasts before it must be reclaimed (Taskcluster's default, 1200). */
  readonly claimTimeoutSeconds: number;
  /** The filesystem blob store holding artifact data: `<dataDir>/blobs`. */
  readonly blobsDir: string;
}

export interface ConfigInput {
  dataDir?: string;
  host?: string;
  port?: number;
  rootUrl?: string;
}

/**
 * Resolves configuration once, from explicit options then the environment, and
 * freezes it: nothing below reads the environment again.
 */
export function resolveConfig(
  input: ConfigInput,
  env: NodeJS.ProcessEnv = process.env,
): PlatformConfig {
  const host = input.host ?? env.BULWARK_HOST ?? '127.0.0.1';
  const port = input.port ?? (env.BULWARK_PORT ? Number(env.BULWARK_PORT) : 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid port ${String(port)}`);
  const databaseUrl = env.BULWARK_DATABASE_URL || undefined;
  const claimTimeoutSeconds = Number(env.BULWARK_CLAIM_TIMEOUT_SECONDS ?? 1200);
  if (!Number.isInteger(claimTimeoutSeconds) || claimTimeoutSeconds < 1) {
    throw new Error('BULWARK_CLAIM_TIMEOUT_SECONDS must be a whole number of seconds');
  }
  const replay = env.BULWARK_REPLAY_PROTECTION;
  if (replay !== undefined && replay !== 'memory' && replay !== 'database') {
    throw new Error('BULWARK_REPLAY_PROTECTION must be "memory" or "database"');
  }
  const dataDir = resolve(input.dataDir ?? env.BULWARK_DATA_DIR ?? '.bulwark');
  return Object.freeze({
    dataDir,
    blobsDir: join(dataDir, 'blobs'),
    host,
    port,
    rootUrl: (input.rootUrl ?? env.BULWARK_ROOT_URL ?? `http://${host}:${port}`).replace(
      /\/+$/,
      '',
    ),
    databaseUrl,
    keyringJson: env.BULWARK_KEYRING || undefined,
    // An external database usually means several replicas: share the nonce cache.
    replayProtection: replay ?? (databaseUrl ? 'database' : 'memory'),
    logLevel: env.BULWARK_LOG_LEVEL ?? 'info',
    claimTimeoutSeconds,
  });
}
