import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface CliCredentials {
  clientId: string;
  accessToken: string;
  certificate?: string;
}

/** Where the credentials in use came from, for `bulwark status` and error hints. */
export type CredentialSource = 'environment' | 'profile' | 'none';

export interface CliConfig {
  rootUrl: string;
  credentials: CliCredentials | undefined;
  source: CredentialSource;
  /** The profile consulted (named by --profile or BULWARK_PROFILE, else `default`). */
  profile: string;
  /** When the profile's stored credentials expire (source `profile`). */
  expires?: string;
}

export const DEFAULT_PROFILE = 'default';
/** Profile names travel into file keys and messages: keep them plain. */
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** One deployment's stored sign-in, as `gh` keeps one per host and kubectl one per context. */
export interface StoredSignin {
  rootUrl: string;
  credentials: CliCredentials;
  expires: string;
}

interface SigninFile {
  version: 2;
  profiles: Record<string, StoredSignin>;
}

/** Where `bulwark signin` keeps temporary credentials: private to the user (S11). */
export function signinFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'bulwark', 'credentials.json');
}

/** The profile a command uses: --profile (which sets BULWARK_PROFILE), else `default`. */
export function profileName(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.BULWARK_PROFILE || DEFAULT_PROFILE;
  if (!PROFILE_NAME.test(name)) {
    throw new UsageError(
      `profile names are 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return name;
}

/**
 * Configuration as Taskcluster's tools read it: TASKCLUSTER_ROOT_URL and
 * TASKCLUSTER_CLIENT_ID/ACCESS_TOKEN/CERTIFICATE; when no credentials are in the
 * environment, the unexpired ones `bulwark signin` stored in the profile are used.
 */
export async function loadConfig(env: NodeJS.ProcessEnv = process.env): Promise<CliConfig> {
  const profile = profileName(env);
  const stored = (await readSigninFile(env)).profiles[profile];
  const rootUrl = (env.TASKCLUSTER_ROOT_URL || stored?.rootUrl)?.replace(/\/+$/, '');
  if (!rootUrl) {
    throw new UsageError(
      'no deployment: set TASKCLUSTER_ROOT_URL (for example http://127.0.0.1:8080), or sign in ' +
        `with \`bulwark signin\`${profile === DEFAULT_PROFILE ? '' : ` --profile ${profile}`}`,
    );
  }
  if (env.TASKCLUSTER_CLIENT_ID && env.TASKCLUSTER_ACCESS_TOKEN) {
    const credentials: CliCredentials = {
      clientId: env.TASKCLUSTER_CLIENT_ID,
      accessToken: env.TASKCLUSTER_ACCESS_TOKEN,
    };
    if (env.TASKCLUSTER_CERTIFICATE) credentials.certificate = env.TASKCLUSTER_CERTIFICATE;
    return { rootUrl, credentials, source: 'environment', profile };
  }
  const usable =
    stored &&
    stored.rootUrl.replace(/\/+$/, '') === rootUrl &&
    new Date(stored.expires) > new Date();
  if (!usable) return { rootUrl, credentials: undefined, source: 'none', profile };
  return {
    rootUrl,
    credentials: stored.credentials,
    source: 'profile',
    profile,
    expires: stored.expires,
  };
}

/** Every stored profile; a missing or unreadable file is no profiles at all. */
export async function readSigninFile(env: NodeJS.ProcessEnv = process.env): Promise<SigninFile> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(signinFile(env), 'utf8'));
  } catch {
    return { version: 2, profiles: {} };
  }
  if (isRecord(parsed) && parsed.version === 2 && isRecord(parsed.profiles)) {
    return { version: 2, profiles: parsed.profiles as Record<string, StoredSignin> };
  }
  // The single sign-in of earlier versions becomes the default profile.
  if (isRecord(parsed) && typeof parsed.rootUrl === 'string' && isRecord(parsed.credentials)) {
    return { version: 2, profiles: { [DEFAULT_PROFILE]: parsed as unknown as StoredSignin } };
  }
  return { version: 2, profiles: {} };
}

/** Stores one profile's sign-in, keeping the others; the file is written whole, 0600. */
export async function writeSignin(
  signin: StoredSignin,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const file = await readSigninFile(env);
  file.profiles[profileName(env)] = signin;
  return writeSigninFile(file, env);
}

/** Forgets one profile; true when there was one to forget. The file goes with the last. */
export async function removeSignin(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const file = await readSigninFile(env);
  const name = profileName(env);
  if (!(name in file.profiles)) return false;
  delete file.profiles[name];
  if (Object.keys(file.profiles).length === 0) await rm(signinFile(env), { force: true });
  else await writeSigninFile(file, env);
  return true;
}

async function writeSigninFile(file: SigninFile, env: NodeJS.ProcessEnv): Promise<string> {
  const path = signinFile(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
  await rename(temporary, path);
  return path;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A mistake in how the command was called; exits with code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_USAGE';
}
