import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@bulwark/api';
import { Keyring } from '@bulwark/crypto';
import { createTestDatabase, type TestDatabase } from '@bulwark/db/testing';
import { resolveConfig, type ConfigInput } from '../config.js';
import { startPlatform, type Platform } from '../platform.js';

/**
 * Several processes of one deployment, in this process: each with its own data
 * directory, as on separate machines, sharing only the database and the keyring.
 */
export interface SplitDeployment {
  readonly database: TestDatabase;
  readonly keyringJson: string;
  /** Starts a process serving `services` (`all` or a comma-separated list). */
  start(services: string, input?: ConfigInput, env?: NodeJS.ProcessEnv): Promise<Platform>;
  stop(): Promise<void>;
}

export async function splitDeployment(): Promise<SplitDeployment> {
  const database = await createTestDatabase();
  const keyringJson = JSON.stringify({ keys: [Keyring.generateKey('split-test')] });
  const started: { platform?: Platform; dataDir: string }[] = [];
  return {
    database,
    keyringJson,
    async start(services, input = {}, env = {}) {
      const entry: { platform?: Platform; dataDir: string } = {
        dataDir: await mkdtemp(join(tmpdir(), `bulwark-${services.replace(/,/g, '-')}-`)),
      };
      started.push(entry);
      const config = resolveConfig(
        { dataDir: entry.dataDir, port: 0, services, ...input },
        { BULWARK_DATABASE_URL: database.connectionString, BULWARK_KEYRING: keyringJson, ...env },
      );
      entry.platform = await startPlatform(config, { logger: createLogger({ level: 'silent' }) });
      return entry.platform;
    },
    async stop() {
      for (const entry of started.reverse()) {
        await entry.platform?.stop();
        await rm(entry.dataDir, { recursive: true, force: true });
      }
      await database.drop();
    },
  };
}
