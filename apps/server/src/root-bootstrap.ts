import { readFile, rm } from 'node:fs/promises';
import type { Logger } from '@bulwark/api';
import { ensureRootClient, ROOT_CLIENT_ID, type AuthService } from '@bulwark/auth-service';
import type { PlatformConfig } from './config.js';

/**
 * What this process did about the root client's credentials file: `created` (a new
 * token is in it), `current` (the file there is valid), or `elsewhere` (this process
 * does not keep them: it does not serve auth, or another process made the token).
 */
export type RootCredentialsState = 'created' | 'current' | 'elsewhere';

async function tokenInFile(path: string): Promise<string | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as { accessToken?: unknown };
    return typeof parsed.accessToken === 'string' ? parsed.accessToken : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Creates the root client where that is this process's job.
 *
 * - Only processes serving auth touch it: a queue or secrets replica has no business
 *   minting an all-powerful token.
 * - With the embedded database (one process) a missing or stale file mints a new
 *   token, as documented for one machine.
 * - With an external database, several auth replicas each keep their own data
 *   directory; if each reset the token whenever its own file was missing, they would
 *   invalidate each other's at every start. So an existing root client is left alone
 *   unless resetRootCredentials asks for a new token explicitly.
 */
export async function bootstrapRoot(
  config: PlatformConfig,
  auth: AuthService,
  credentialsPath: string,
  rootUrl: string,
  logger: Logger,
): Promise<RootCredentialsState> {
  if (!config.services.includes('auth')) return 'elsewhere';
  if (config.resetRootCredentials) await rm(credentialsPath, { force: true });
  if (config.databaseUrl && !config.resetRootCredentials) {
    const existing = await auth.context.store.reloadClient(ROOT_CLIENT_ID);
    if (existing && (await tokenInFile(credentialsPath)) !== existing.accessToken) {
      logger.info(
        { rootCredentialsPath: credentialsPath },
        'the root client exists and its credentials are not kept here; ' +
          'start with --reset-root-credentials to mint a new token in this file',
      );
      return 'elsewhere';
    }
  }
  // With an external database, replicas share the root client: one that exists (made
  // by another replica, perhaps a moment ago) keeps its token unless a reset is asked.
  const replace = !config.databaseUrl || config.resetRootCredentials;
  const { created } = await ensureRootClient(auth.context, credentialsPath, rootUrl, { replace });
  if (!created) {
    const stored = await auth.context.store.reloadClient(ROOT_CLIENT_ID);
    return stored?.accessToken === (await tokenInFile(credentialsPath)) ? 'current' : 'elsewhere';
  }
  // Two auth replicas starting on an empty database can both find no root client;
  // the insert of one of them does nothing, so whoever's token is not the stored one
  // withdraws its file instead of keeping a token that never worked.
  const stored = await auth.context.store.reloadClient(ROOT_CLIENT_ID);
  if (stored?.accessToken !== (await tokenInFile(credentialsPath))) {
    await rm(credentialsPath, { force: true });
    logger.info('another process created the root client at the same moment; its file holds it');
    return 'elsewhere';
  }
  return 'created';
}
