import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createApiServer, createLogger, mountApi } from '@bulwark/api';
import { Keyring } from '@bulwark/crypto';
import { createPool } from '@bulwark/db';
import { createTestDatabase } from '@bulwark/db/testing';
import { ensureRootClient, type RootCredentials } from '../domain/bootstrap.js';
import { startAuthService, type AuthService } from '../service.js';

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
  const auth = await startAuthService({
    pool: db.pool,
    keyring: options.replicaOf?.auth.context.keyring ?? new Keyring([Keyring.generateKey('test')]),
    logger,
    ...(options.now ? { now: options.now } : {}),
    ...(options.isRevoked ? { isRevoked: options.isRevoked } : {}),
  });
  const app = createApiServer({ logger });
  mountApi(app, auth.api, {
    context: auth.context,
    authenticator: auth.validator,
    validateOutput: true,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const rootUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
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
      await app.close();
      await auth.stop();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export const inOneHour = (): Date => new Date(Date.now() + 60 * 60 * 1000);
