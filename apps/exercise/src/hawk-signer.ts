import { createHmac, randomBytes } from 'node:crypto';

/**
 * A Hawk header written by hand (reference: taskcluster-wire.md §2.5), so attacks can sign
 * what a published client never would: a guessed key, a spoofed certificate, a path
 * spelled in ways a URL parser would normalize away.
 */
export interface HawkInput {
  id: string;
  key: string;
  method: string;
  /** The request target exactly as sent (path and query). */
  resource: string;
  host: string;
  port: number;
  /** The `ext` object (certificate, authorizedScopes); none when absent. */
  ext?: Record<string, unknown>;
  ts?: number;
  nonce?: string;
}

export function hawkHeader(input: HawkInput): string {
  const ts = input.ts ?? Math.floor(Date.now() / 1000);
  const nonce = input.nonce ?? randomBytes(6).toString('base64url');
  const ext = input.ext ? Buffer.from(JSON.stringify(input.ext)).toString('base64') : '';
  const normalized =
    [
      'hawk.1.header',
      String(ts),
      nonce,
      input.method.toUpperCase(),
      input.resource,
      input.host.toLowerCase(),
      String(input.port),
      '',
      ext.replace(/\\/g, '\\\\').replace(/\n/g, '\\n'),
    ].join('\n') + '\n';
  const mac = createHmac('sha256', input.key).update(normalized).digest('base64');
  const parts = [`id="${input.id}"`, `ts="${ts}"`, `nonce="${nonce}"`];
  if (ext) parts.push(`ext="${ext}"`);
  parts.push(`mac="${mac}"`);
  return `Hawk ${parts.join(', ')}`;
}

export interface CertificateInput {
  /** The key the certificate is signed with: the issuer's token (or a guess at it). */
  signingKey: string;
  scopes: string[];
  /** Named temporary credentials: the name, and the issuer the certificate claims. */
  clientId?: string;
  issuer?: string;
  lifetimeMs?: number;
}

/**
 * A temporary-credential certificate as Taskcluster's client builds one, and the
 * temporary key derived from it; an attack chooses whose key signs and what it claims.
 */
export function certificate(input: CertificateInput): {
  certificate: Record<string, unknown>;
  temporaryKey: string;
} {
  const seed = randomBytes(33).toString('base64url').slice(0, 44).padEnd(44, 'A');
  const start = Date.now() - 60_000;
  const expiry = Date.now() + (input.lifetimeMs ?? 3600_000);
  const lines = ['version:1'];
  if (input.issuer !== undefined) {
    lines.push(`clientId:${input.clientId ?? ''}`, `issuer:${input.issuer}`);
  }
  lines.push(`seed:${seed}`, `start:${start}`, `expiry:${expiry}`, 'scopes:', ...input.scopes);
  const signature = createHmac('sha256', input.signingKey)
    .update(lines.join('\n'))
    .digest('base64');
  const cert: Record<string, unknown> = {
    version: 1,
    scopes: input.scopes,
    start,
    expiry,
    seed,
    signature,
  };
  if (input.issuer !== undefined) cert.issuer = input.issuer;
  const temporaryKey = createHmac('sha256', input.signingKey)
    .update(seed)
    .digest('base64')
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
  return { certificate: cert, temporaryKey };
}
