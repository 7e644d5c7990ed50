import taskcluster, { type ServiceClient } from 'taskcluster-client';
import { DEFAULT_PROFILE, loadConfig, UsageError, type CliConfig } from './credentials.js';

/** What to do when a command needs credentials and has none. */
export function noCredentialsHint(config: Pick<CliConfig, 'profile' | 'rootUrl'>): string {
  const profile = config.profile === DEFAULT_PROFILE ? '' : ` --profile ${config.profile}`;
  return (
    `no credentials for ${config.rootUrl}: set TASKCLUSTER_CLIENT_ID and TASKCLUSTER_ACCESS_TOKEN ` +
    `to a client's id and access token (an administrator creates one with \`bulwark clients ` +
    `create\`), then optionally run \`bulwark signin${profile}\` to keep temporary ` +
    'credentials instead of the token'
  );
}

/** An authenticated client for one service, configured from the environment or signin. */
export async function serviceClient(
  service: 'Auth' | 'Secrets' | 'Queue',
  options: { requireCredentials?: boolean } = {},
): Promise<{ client: ServiceClient; rootUrl: string; clientId: string | undefined }> {
  const config = await loadConfig();
  if (options.requireCredentials !== false && !config.credentials) {
    throw new UsageError(noCredentialsHint(config));
  }
  const Service = taskcluster[service];
  const client = new Service({
    rootUrl: config.rootUrl,
    ...(config.credentials ? { credentials: config.credentials } : {}),
    retries: 2,
  });
  return { client, rootUrl: config.rootUrl, clientId: config.credentials?.clientId };
}
