import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface CliCredentials {
  clientId: string;
  accessToken: string;
  certificate?: string;
}

export interface CliConfig {
  rootUrl: string;
  credentials: CliCredentials | undefined;
}

/** Where `bulwark signin` keeps temporary credentials: private to the user (S11). */
export function signinFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'bulwark', 'credentials.json');
}

interface StoredSignin {
  rootUrl: string;
  credentials: CliCredentials;
  expires: string;
}

/**
 * Configuration as Taskcluster's tools read it: TASKCLUSTER_ROOT_URL and
 * TASKCLUSTER_CLIENT_ID/ACCESS_TOKEN/CERTIFICATE; when no credentials are in the
 * environment, the unexpired ones `bulwark signin` stored are used.
 */
export async function loadConfig(env: NodeJS.ProcessEnv = process.env): Promise<CliConfig> {
  const stored = await readSignin(env);
  const rootUrl = env.TASKCLUSTER_ROOT_URL || stored?.rootUrl;
  if (!rootUrl) {
    throw new UsageError(
      'set TASKCLUSTER_ROOT_URL (for example http://127.0.0.1:8080) or run `bulwark signin`',
    );
  }
  if (env.TASKCLUSTER_CLIENT_ID && env.TASKCLUSTER_ACCESS_TOKEN) {
    const credentials: CliCredentials = {
      clientId: env.TASKCLUSTER_CLIENT_ID,
      accessToken: env.TASKCLUSTER_ACCESS_TOKEN,
    };
    if (env.TASKCLUSTER_CERTIFICATE) credentials.certificate = env.TASKCLUSTER_CERTIFICATE;
    return { rootUrl: rootUrl.replace(/\/+$/, ''), credentials };
  }
  const usable = stored && stored.rootUrl === rootUrl && new Date(stored.expires) > new Date();
  return {
    rootUrl: rootUrl.replace(/\/+$/, ''),
    credentials: usable ? stored.credentials : undefined,
  };
}

async function readSignin(env: NodeJS.ProcessEnv): Promise<StoredSignin | undefined> {
  try {
    return JSON.parse(await readFile(signinFile(env), 'utf8')) as StoredSignin;
  } catch {
    return undefined;
  }
}

export async function writeSignin(
  signin: StoredSignin,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const path = signinFile(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, JSON.stringify(signin, null, 2) + '\n', { mode: 0o600 });
  await rename(temporary, path);
  return path;
}

/** A mistake in how the command was called; exits with code 2. */
export class UsageError extends Error {}
