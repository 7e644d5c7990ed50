import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@bulwark/api';
import { createTestDatabase } from '@bulwark/db/testing';
import { resolveConfig } from './config.js';
import { startPlatform, type Platform } from './platform.js';

export interface TestPlatform {
  readonly platform: Platform;
  stop(): Promise<void>;
}

/**
 * The whole control plane on a private database of the test run's PostgreSQL server
 * (see scripts/test.mjs) and a temporary data directory, for tests of the programs
 * built on it. stop() removes everything it made.
 */
export async function startTestPlatform(
  options: { claimTimeoutSeconds?: number } = {},
): Promise<TestPlatform> {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-platform-'));
  try {
    const platform = await startPlatform(
      resolveConfig(
        { dataDir, port: 0 },
        {
          BULWARK_DATABASE_URL: database.connectionString,
          ...(options.claimTimeoutSeconds === undefined
            ? {}
            : { BULWARK_CLAIM_TIMEOUT_SECONDS: String(options.claimTimeoutSeconds) }),
        },
      ),
      createLogger({ level: 'silent' }),
    );
    return {
      platform,
      async stop() {
        await platform.stop();
        await database.drop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** A private database on the test run's server, for tests that start `bulwark serve` against it. */
export { createTestDatabase, type TestDatabase } from '@bulwark/db/testing';
