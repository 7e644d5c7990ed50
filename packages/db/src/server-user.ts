import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The unprivileged system user the embedded server runs as when Bulwark runs as root. */
export const SERVER_USER_NAME = 'bulwark-db';

/** The identity PostgreSQL processes are spawned with (they refuse to run as root). */
export interface ServerUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/**
 * Returns the user to run PostgreSQL as, or undefined when we are not root and the
 * server simply runs as ourselves. As root, the user is created on first use.
 */
export async function resolveServerUser(): Promise<ServerUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await lookUpUser(SERVER_USER_NAME);
  if (existing) return existing;
  try {
    await execFileAsync('useradd', [
      '--system',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      '--user-group',
      SERVER_USER_NAME,
    ]);
  } catch (err) {
    // Another process may have created it between our lookup and useradd (exit code 9).
    const created = await lookUpUser(SERVER_USER_NAME);
    if (created) return created;
    throw new Error(
      `PostgreSQL cannot run as root and the system user ${SERVER_USER_NAME} could not be ` +
        `created; create it yourself (useradd --system --no-create-home --shell ` +
        `/usr/sbin/nologin --user-group ${SERVER_USER_NAME}) or run Bulwark as a non-root user`,
      { cause: err },
    );
  }
  const created = await lookUpUser(SERVER_USER_NAME);
  if (!created) throw new Error(`useradd succeeded but user ${SERVER_USER_NAME} is not visible`);
  return created;
}

async function lookUpUser(name: string): Promise<ServerUser | undefined> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync('getent', ['passwd', name]));
  } catch (err) {
    // getent exits 2 when the key is not found; anything else is a real failure.
    if ((err as { code?: unknown }).code === 2) return undefined;
    throw err;
  }
  const fields = stdout.trim().split(':');
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error(`cannot parse the passwd entry of ${name}`);
  }
  return { name, uid, gid };
}

/**
 * Checks that `user` may traverse every directory from / down to `path` inclusive,
 * so a permission problem is reported with the directory and the fix instead of as
 * an obscure PostgreSQL startup failure. Only mode bits are considered (no ACLs).
 */
export async function assertTraversableBy(
  user: ServerUser,
  path: string,
  purpose: string,
): Promise<void> {
  const chain: string[] = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    chain.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of chain) {
    const info = await stat(dir);
    const searchBit =
      info.uid === user.uid ? 0o100 : info.gid === user.gid ? 0o010 : /* others */ 0o001;
    if ((info.mode & searchBit) === 0) {
      const mode = (info.mode & 0o7777).toString(8).padStart(4, '0');
      throw new Error(
        `PostgreSQL runs as the unprivileged user ${user.name}, which cannot reach ${purpose} ` +
          `because ${dir} (mode ${mode}) is not traversable by it`,
      );
    }
  }
}
