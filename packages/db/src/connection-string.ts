/**
 * A connection string for a server listening only on a unix socket in `socketDir`.
 * The directory goes in the `host` query parameter because a URL host cannot hold a
 * path; `pg` reads it from there.
 */
export function socketConnectionString(options: {
  socketDir: string;
  user: string;
  password: string;
  database: string;
}): string {
  const user = encodeURIComponent(options.user);
  const password = encodeURIComponent(options.password);
  const database = encodeURIComponent(options.database);
  return `postgresql://${user}:${password}@/${database}?host=${encodeURIComponent(options.socketDir)}`;
}

const URL_PARTS = /^(postgres(?:ql)?:\/\/[^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/;

/**
 * The same connection string pointed at another database of the same server. Works
 * on socket strings (empty URL host, which `new URL` rejects) as well as on ordinary
 * `postgres://host:port/db` ones.
 */
export function withDatabase(connectionString: string, database: string): string {
  const match = URL_PARTS.exec(connectionString);
  if (!match) throw new Error('not a postgres:// or postgresql:// connection string');
  const [, authority = '', , query = ''] = match;
  return `${authority}/${encodeURIComponent(database)}${query}`;
}
