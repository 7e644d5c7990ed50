import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { composePlatform, createLogger } from '@bulwark/api';
import { Keyring } from '@bulwark/crypto';
import { createPool } from '@bulwark/db';
import { createTestDatabase } from '@bulwark/db/testing';
import { ensureRootClient, type RootCredentials } from '../domain/bootstrap.js';
import { authPlugin, type AuthService } from '../service.js';

export interface TestPlatform {
  rootUrl: string;
  root: RootCredentials;
  connectionString: string;
  auth: AuthService;
  /** Every log line written during the test, as raw JSON text (for S1 checks). */
  logLines: string[];
  dataDir: string;
  close(): Promise<void>;
}

/**
 * A real auth service on a real (per-file) PostgreSQL database, listening on a
 * loopback port, with its logs captured.
 */
export async function startTestPlatform(
  options: {
    now?: () => Date;
    /** Run as a second replica on another platform's database (no bootstrap of its own). */
    replicaOf?: TestPlatform;
    isRevoked?: (clientId: string) => boolean | Promise<boolean>;
  } = {},
): Promise<TestPlatform> {
  const db = options.replicaOf
    ? {
        pool: createPool(options.replicaOf.connectionString, { max: 4 }),
        connectionString: options.replicaOf.connectionString,
        async drop() {
          await this.pool.end();
        },
      }
    : await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-auth-test-'));
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: 'debug' }, sink);
  // The platform's one composition, with the auth service alone.
  const platform = await composePlatform({
    logger,
    authority: authPlugin({
      pool: db.pool,
      keyring:
        options.replicaOf?.auth.context.keyring ?? new Keyring([Keyring.generateKey('test')]),
      logger,
      ...(options.now ? { now: options.now } : {}),
      ...(options.isRevoked ? { isRevoked: options.isRevoked } : {}),
    }),
    services: {},
    host: '127.0.0.1',
    port: 0,
    rootUrl: (port) => `http://127.0.0.1:${port}`,
    validateOutput: true,
  });
  const { rootUrl, authority: auth } = platform;
  let root: RootCredentials;
  if (options.replicaOf) {
    root = { ...options.replicaOf.root, rootUrl };
  } else {
    const credentialsPath = join(dataDir, 'root-credentials.json');
    await ensureRootClient(auth.context, credentialsPath, rootUrl);
    root = JSON.parse(await readFile(credentialsPath, 'utf8')) as RootCredentials;
  }
  return {
    rootUrl,
    root,
    connectionString: db.connectionString,
    auth,
    logLines,
    dataDir,
    async close() {
      await platform.stop();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export const inOneHour = (): Date => new Date(Date.now() + 60 * 60 * 1000);
