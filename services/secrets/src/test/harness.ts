import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import taskcluster from 'taskcluster-client';
import { createApiServer, createLogger, mountApi } from '@bulwark/api';
import { Keyring } from '@bulwark/crypto';
import { createTestDatabase, type TestDatabase } from '@bulwark/db/testing';
import {
  ensureRootClient,
  startAuthService,
  type AuthService,
  type RootCredentials,
} from '@bulwark/auth-service';
import { startSecretsService, type SecretsService } from '../service.js';

export interface TestPlatform {
  rootUrl: string;
  root: RootCredentials;
  db: TestDatabase;
  auth: AuthService;
  secrets: SecretsService;
  /** Every log line written while the platform ran, as raw JSON text (S1 checks). */
  logLines: string[];
  /** Secret names and values the tests used; none may appear in a log line (S1). */
  sensitive: Set<string>;
  close(): Promise<void>;
}

/**
 * Real auth and secrets services on a real (per-file) PostgreSQL database,
 * mounted on one loopback server as the platform mounts them, logs captured at
 * debug level.
 */
export async function startTestPlatform(
  options: { sweepIntervalMs?: number } = {},
): Promise<TestPlatform> {
  const db = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-secrets-test-'));
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: 'debug' }, sink);
  const keyring = new Keyring([Keyring.generateKey('test')]);
  const auth = await startAuthService({
    pool: db.pool,
    keyring,
    logger,
  });
  const secrets = await startSecretsService({
    pool: db.pool,
    keyring,
    logger,
    ...(options.sweepIntervalMs !== undefined ? { sweepIntervalMs: options.sweepIntervalMs } : {}),
  });
  const app = createApiServer({ logger });
  mountApi(app, auth.api, { context: auth.context, authenticator: auth.validator });
  mountApi(app, secrets.api, {
    context: secrets.context,
    authenticator: auth.validator,
    validateOutput: true,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const rootUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const credentialsPath = join(dataDir, 'root-credentials.json');
  await ensureRootClient(auth.context, credentialsPath, rootUrl);
  const root = JSON.parse(await readFile(credentialsPath, 'utf8')) as RootCredentials;
  return {
    rootUrl,
    root,
    db,
    auth,
    secrets,
    logLines,
    sensitive: new Set(),
    async close() {
      await app.close();
      await secrets.stop();
      await auth.stop();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A secret name unlike anything else in a log line, remembered as sensitive. The
 * random part is what the S1 check looks for, so a leak of any part of the name
 * that includes it is caught.
 */
export function secretName(platform: TestPlatform, shape = 'project/<id>/token'): string {
  const id = `nm${randomBytes(6).toString('hex')}`;
  platform.sensitive.add(id);
  return shape.replaceAll('<id>', id);
}

/** A secret value carrying a canary string, remembered as sensitive. */
export function secretValue(platform: TestPlatform, extra: object = {}): Record<string, unknown> {
  const canary = `val${randomBytes(8).toString('hex')}`;
  platform.sensitive.add(canary);
  return { token: canary, nested: { list: [1, 'two', { three: canary }] }, ...extra };
}

/** S1: no log line contains a secret's name or value. */
export function assertLogsClean(platform: TestPlatform): void {
  assert.ok(platform.logLines.length > 0, 'logs were captured');
  for (const line of platform.logLines) {
    for (const sensitive of platform.sensitive) {
      assert.ok(!line.includes(sensitive), `a secret name or value reached a log line: ${line}`);
    }
  }
}

const inOneHour = (): Date => new Date(Date.now() + 60 * 60 * 1000);
export const inOneDay = (): Date => new Date(Date.now() + 24 * 60 * 60 * 1000);

/** A Secrets client with the root client's permanent credentials. */
export function rootSecrets(platform: TestPlatform): any {
  return new taskcluster.Secrets({
    rootUrl: platform.rootUrl,
    credentials: platform.root,
    retries: 0,
  });
}

/** A Secrets client holding temporary credentials with exactly these scopes. */
export function secretsWithScopes(platform: TestPlatform, scopes: string[]): any {
  const credentials = taskcluster.createTemporaryCredentials({
    expiry: inOneHour(),
    scopes,
    credentials: platform.root,
  });
  return new taskcluster.Secrets({ rootUrl: platform.rootUrl, credentials, retries: 0 });
}

/** A permanent client with these scopes, created through the auth API. */
export async function createClient(
  platform: TestPlatform,
  clientId: string,
  scopes: string[],
): Promise<{ clientId: string; accessToken: string }> {
  const auth = new taskcluster.Auth({
    rootUrl: platform.rootUrl,
    credentials: platform.root,
    retries: 0,
  });
  const created = await auth.createClient(clientId, {
    description: 'a client made by a secrets test',
    expires: inOneHour(),
    scopes,
  });
  return { clientId, accessToken: created.accessToken };
}

/** Audit history of one secret, through the auth API as an operator reads it. */
export async function secretHistory(
  platform: TestPlatform,
  name: string,
): Promise<{ action: string; clientId: string; details: Record<string, unknown> }[]> {
  const auth = new taskcluster.Auth({
    rootUrl: platform.rootUrl,
    credentials: platform.root,
    retries: 0,
  });
  const { auditHistory } = await auth.getEntityHistory('secret', name);
  return auditHistory;
}
