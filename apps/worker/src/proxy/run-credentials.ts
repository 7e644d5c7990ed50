import hawk from 'hawk';

/** The temporary credentials a claim returns for one run. */
export interface RunCredentials {
  clientId: string;
  accessToken: string;
  certificate?: string;
}

/**
 * A Hawk Authorization header for one request, signed with the run's credentials and
 * narrowed by authorizedScopes, exactly as taskcluster-client signs: the certificate
 * and authorizedScopes travel base64-encoded JSON in `ext`.
 */
export function signRequest(
  credentials: RunCredentials,
  authorizedScopes: readonly string[],
  url: string,
  method: string,
): string {
  const ext: Record<string, unknown> = { authorizedScopes };
  if (credentials.certificate !== undefined) {
    ext.certificate = JSON.parse(credentials.certificate) as unknown;
  }
  return hawk.client.header(url, method, {
    credentials: { id: credentials.clientId, key: credentials.accessToken, algorithm: 'sha256' },
    ext: Buffer.from(JSON.stringify(ext)).toString('base64'),
  }).header;
}
