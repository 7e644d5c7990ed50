import { readFile, writeFile, rename } from 'node:fs/promises';
import { generateAccessToken } from '@bulwark/crypto';
import { queries, withTransaction } from '@bulwark/db';
import type { AuthContext } from './context.js';
import { AUTH_CHANNEL } from './credential-store.js';

export const ROOT_CLIENT_ID = 'static/root';

export interface RootCredentials {
  rootUrl: string;
  clientId: string;
  accessToken: string;
}

/**
 * Makes sure the root client (`*`) exists and that `credentialsPath` holds its
 * working credentials (0600, S11). A fresh token is minted only when the client or
 * the file is missing; the token is written to that file and nowhere else (S1).
 * With `replace: false` an existing root client is never given a new token, not even
 * one another process created a moment ago (decided under the row's lock): only a
 * missing client is created.
 */
export async function ensureRootClient(
  ctx: AuthContext,
  credentialsPath: string,
  rootUrl: string,
  options: { replace?: boolean } = {},
): Promise<{ created: boolean }> {
  const existingFile = await readCredentials(credentialsPath);
  const cached = await ctx.store.getClient(ROOT_CLIENT_ID);
  if (cached && existingFile?.accessToken === cached.accessToken) {
    if (existingFile.rootUrl !== rootUrl)
      await writeCredentials(credentialsPath, { ...existingFile, rootUrl });
    return { created: false };
  }
  const accessToken = generateAccessToken();
  const sealed = ctx.keyring.seal(accessToken, `client:${ROOT_CLIENT_ID}`);
  const now = ctx.now();
  const written = await withTransaction(ctx.pool, async (db) => {
    const exists = await queries.clients.getClientForUpdate(db, ROOT_CLIENT_ID);
    if (exists && options.replace === false) return false;
    if (exists) {
      await queries.clients.setClientAccessToken(db, ROOT_CLIENT_ID, sealed, now);
    } else {
      await queries.clients.insertClient(db, {
        clientId: ROOT_CLIENT_ID,
        description: 'Root client of this Bulwark deployment (all scopes).',
        scopes: ['*'],
        sealedAccessToken: sealed,
        expires: new Date('3000-01-01T00:00:00.000Z'),
        disabled: false,
        deleteOnExpiration: false,
        created: now,
        lastModified: now,
        lastDateUsed: now,
        lastRotated: now,
      });
    }
    await queries.audit.appendAudit(
      db,
      {
        entityType: 'client',
        entityId: ROOT_CLIENT_ID,
        action: exists ? 'access token reset' : 'created',
        clientId: 'system',
        details: { reason: 'bootstrap' },
      },
      now,
    );
    await queries.notify(db, AUTH_CHANNEL, `client:${ROOT_CLIENT_ID}`);
    return true;
  });
  if (!written) return { created: false };
  await ctx.store.reloadClient(ROOT_CLIENT_ID);
  await writeCredentials(credentialsPath, { rootUrl, clientId: ROOT_CLIENT_ID, accessToken });
  return { created: true };
}

async function readCredentials(path: string): Promise<RootCredentials | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as RootCredentials;
  } catch {
    return undefined;
  }
}

/** Written to a temporary name then renamed, so a crash never leaves half a file. */
async function writeCredentials(path: string, credentials: RootCredentials): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  await rename(temporary, path);
}

/**
 * Makes sure a deployment-managed client (`static/...`) exists with exactly these
 * scopes and returns its access token, for services that sign on their own behalf
 * (the queue issues run credentials with it). Safe when replicas start together:
 * the first insert wins and every replica then reads the same sealed token.
 */
export async function ensureStaticClient(
  ctx: AuthContext,
  clientId: string,
  scopes: readonly string[],
  description: string,
): Promise<string> {
  if (!clientId.startsWith('static/')) throw new Error('static clients live under static/');
  const now = ctx.now();
  await withTransaction(ctx.pool, async (db) => {
    const inserted = await queries.clients.insertClient(db, {
      clientId,
      description,
      scopes: [...scopes],
      sealedAccessToken: ctx.keyring.seal(generateAccessToken(), `client:${clientId}`),
      expires: new Date('3000-01-01T00:00:00.000Z'),
      disabled: false,
      deleteOnExpiration: false,
      created: now,
      lastModified: now,
      lastDateUsed: now,
      lastRotated: now,
    });
    const existing = inserted ? undefined : await queries.clients.getClientForUpdate(db, clientId);
    const changed =
      existing !== undefined && JSON.stringify(existing.scopes) !== JSON.stringify(scopes);
    if (changed) {
      await queries.clients.updateClient(db, clientId, {
        description,
        scopes: [...scopes],
        expires: existing.expires,
        deleteOnExpiration: false,
        lastModified: now,
      });
    }
    if (inserted || changed) {
      await queries.audit.appendAudit(
        db,
        {
          entityType: 'client',
          entityId: clientId,
          action: inserted ? 'created' : 'updated',
          clientId: 'system',
          details: { scopes: [...scopes], reason: 'bootstrap' },
        },
        now,
      );
      await queries.notify(db, AUTH_CHANNEL, `client:${clientId}`);
    }
  });
  const client = await ctx.store.reloadClient(clientId);
  if (!client) throw new Error(`static client ${clientId} could not be loaded`);
  return client.accessToken;
}
