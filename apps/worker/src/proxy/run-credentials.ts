import hawk from 'hawk';

/** The temporary credentials a claim returns for one run. */
export interface RunCredentials {
  clientId: string;
  accessToken: string;
  certificate?: string;
}

/** Where a signed request goes: the control plane's origin and the exact resource sent. */
export interface SignedTarget {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number;
  /** Path and query exactly as they go on the wire. */
  resource: string;
}

/**
 * A Hawk Authorization header for one request, exactly as taskcluster-client signs:
 * the certificate (and authorizedScopes, when the request is narrowed) travel as
 * base64-encoded JSON in `ext`.
 *
 * The resource is given whole rather than as a URL string: hawk would parse a string
 * with the legacy URL parser, which re-escapes some characters (`'`, say), and the
 * MAC would then cover a different path than the one forwarded.
 */
export function signRequest(
  credentials: RunCredentials,
  authorizedScopes: readonly string[] | undefined,
  target: SignedTarget,
  method: string,
): string {
  const ext: Record<string, unknown> = {};
  if (credentials.certificate !== undefined) {
    ext.certificate = JSON.parse(credentials.certificate) as unknown;
  }
  if (authorizedScopes !== undefined) ext.authorizedScopes = authorizedScopes;
  const queryAt = target.resource.indexOf('?');
  const uri = {
    protocol: target.protocol,
    hostname: target.hostname,
    port: target.port,
    pathname: queryAt === -1 ? target.resource : target.resource.slice(0, queryAt),
    search: queryAt === -1 ? '' : target.resource.slice(queryAt),
  };
  return hawk.client.header(
    // hawk reads exactly these fields from a parsed URL object (its types say string).
    uri as unknown as string,
    method,
    {
      credentials: { id: credentials.clientId, key: credentials.accessToken, algorithm: 'sha256' },
      ...(Object.keys(ext).length > 0
        ? { ext: Buffer.from(JSON.stringify(ext)).toString('base64') }
        : {}),
    },
  ).header;
}

/** The signed target of a WHATWG URL, as fetch() sends it. */
export function targetOfUrl(url: URL): SignedTarget {
  const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
  return {
    protocol,
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? (protocol === 'https:' ? 443 : 80) : Number(url.port),
    resource: url.pathname + url.search,
  };
}
