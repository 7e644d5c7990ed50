import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import taskcluster from 'taskcluster-client';
import type { TestDatabase } from '@bulwark/db/testing';
import type { AuthService, RootCredentials } from '@bulwark/auth-service';
import type { SecretsService } from '@bulwark/secrets-service';
import { startTestPlatform as startPlatform } from '../../testing.js';

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
 * The whole platform, started by the same composition as production, on a real
 * (per-file) PostgreSQL database, logs captured at debug level.
 */
export async function startTestPlatform(
  options: { sweepIntervalMs?: number } = {},
): Promise<TestPlatform> {
  const running = await startPlatform({
    logLevel: 'debug',
    ...(options.sweepIntervalMs !== undefined && {
      tuning: { secrets: { sweepIntervalMs: options.sweepIntervalMs } },
    }),
  });
  const { platform } = running;
  return {
    rootUrl: platform.rootUrl,
    root: running.root,
    db: running.db,
    auth: platform.running.auth,
    secrets: platform.running.secrets!,
    logLines: running.logLines,
    sensitive: new Set(),
    close: () => running.stop(),
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
