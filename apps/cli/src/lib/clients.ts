import taskcluster, { type ServiceClient } from 'taskcluster-client';
import { loadConfig, UsageError } from './credentials.js';

/** An authenticated client for one service, configured from the environment or signin. */
export async function serviceClient(
  service: 'Auth' | 'Secrets' | 'Queue',
  options: { requireCredentials?: boolean } = {},
): Promise<{ client: ServiceClient; rootUrl: string; clientId: string | undefined }> {
  const config = await loadConfig();
  if (options.requireCredentials !== false && !config.credentials) {
    throw new UsageError(
      'no credentials: set TASKCLUSTER_CLIENT_ID and TASKCLUSTER_ACCESS_TOKEN, or run `bulwark signin`',
    );
  }
  const Service = taskcluster[service];
  const client = new Service({
    rootUrl: config.rootUrl,
    ...(config.credentials ? { credentials: config.credentials } : {}),
    retries: 2,
  });
  return { client, rootUrl: config.rootUrl, clientId: config.credentials?.clientId };
}
