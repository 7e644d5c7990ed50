import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@bulwark/api';
import { createPool } from '@bulwark/db';
import { createTestDatabase, type TestDatabase } from '@bulwark/db/testing';
import type { RootCredentials } from '@bulwark/auth-service';
import { resolveConfig } from './config.js';
import { startPlatform, type Platform } from './platform.js';
import type { ServiceTuning } from './service-plugins.js';

export interface TestPlatform {
  readonly platform: Platform;
  /** The root client's credentials, pointing at this platform. */
  readonly root: RootCredentials;
  /** The platform's database (for a replica: a pool of its own on the first one's database). */
  readonly db: TestDatabase;
  readonly dataDir: string;
  /** Every log line written while the platform ran, as raw JSON text (for S1 checks). */
  readonly logLines: string[];
  stop(): Promise<void>;
}

export interface TestPlatformOptions {
  claimTimeoutSeconds?: number;
  /** Intervals, limits and clocks of the services. */
  tuning?: ServiceTuning;
  /** Captures log lines at this level into logLines; silent by default. */
  logLevel?: 'debug' | 'info';
  /** Runs as another replica on that platform's database, with its keyring and root client. */
  replicaOf?: TestPlatform;
}

/**
 * The whole control plane, started by the same composition as production
 * (startPlatform), on a private database of the test run's PostgreSQL server (see
 * scripts/test.mjs) and a temporary data directory, every response checked against
 * its schema. stop() removes everything it made.
 */
export async function startTestPlatform(options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const { replicaOf } = options;
  const db = replicaOf
    ? replicaDatabase(replicaOf.db.connectionString)
    : await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-platform-'));
  const cleanUp = async (): Promise<void> => {
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    if (replicaOf) {
      // The same keyring, and the root client's file, as a replica is deployed.
      for (const file of ['keyring.json', 'root-credentials.json'])
        await copyFile(join(replicaOf.dataDir, file), join(dataDir, file));
    }
    const logLines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const platform = await startPlatform(
      resolveConfig(
        { dataDir, port: 0 },
        {
          BULWARK_DATABASE_URL: db.connectionString,
          ...(options.claimTimeoutSeconds === undefined
            ? {}
            : { BULWARK_CLAIM_TIMEOUT_SECONDS: String(options.claimTimeoutSeconds) }),
        },
      ),
      {
        logger: createLogger({ level: options.logLevel ?? 'silent' }, sink),
        ...(options.tuning && { tuning: options.tuning }),
        validateOutput: true,
      },
    );
    const stored = JSON.parse(
      await readFile(platform.rootCredentialsPath, 'utf8'),
    ) as RootCredentials;
    return {
      platform,
      root: { ...stored, rootUrl: platform.rootUrl },
      db,
      dataDir,
      logLines,
      async stop() {
        await platform.stop();
        await cleanUp();
      },
    };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}

/** A second connection pool on an existing test database; drop() only closes it. */
function replicaDatabase(connectionString: string): TestDatabase {
  const pool = createPool(connectionString, { max: 5, allowExitOnIdle: true });
  return { connectionString, pool, drop: () => pool.end() };
}

/** A private database on the test run's server, for tests that start `bulwark serve` against it. */
export { createTestDatabase, type TestDatabase } from '@bulwark/db/testing';
