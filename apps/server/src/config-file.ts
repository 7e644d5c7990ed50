import { readFile, stat } from 'node:fs/promises';
import { SERVER_SETTINGS, type Setting, type SettingKey, type SettingType } from './settings.js';

/**
 * What `bulwark serve --config FILE` may hold: a JSON object with the same settings
 * as the BULWARK_* variables, which override it (see docs/operations.md). Its keys
 * are those of SERVER_SETTINGS (settings.ts).
 */
export interface ConfigFile {
  services?: string | string[];
  dataDir?: string;
  host?: string;
  port?: number;
  rootUrl?: string;
  databaseUrl?: string;
  /** `{"keys": [{"id", "key"}, ...]}`, or that object as a JSON string. */
  keyring?: string | { keys: unknown[] };
  /** Only `database` remains: nonces always live in the database (S13, decision D24). */
  replayProtection?: 'database';
  logLevel?: string;
  claimTimeoutSeconds?: number;
  /** `pattern=level` entries separated by commas (docs/provenance.md). */
  builderTrustLevels?: string;
  /** The AMQP broker the queue publishes task events to (holds a password: mode 0600). */
  amqpUrl?: string;
  amqpExchangePrefix?: string;
}

type Kind = SettingType;

/**
 * The type of every key, from the settings table. Typed by ConfigFile's keys, so a key
 * in the interface but not in the table does not compile.
 */
const KEYS: Record<keyof ConfigFile, Kind> = Object.fromEntries(
  SERVER_SETTINGS.map((setting) => [setting.key, setting.type]),
) as Record<SettingKey, Kind>;

/** Keys whose values open the database, every sealed token and secret, or the broker. */
const SECRET_KEYS: readonly string[] = SERVER_SETTINGS.filter(
  (setting: Setting) => setting.secret === true,
).map((setting) => setting.key);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function fits(kind: Kind, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string' && value !== '';
    case 'integer':
      return Number.isInteger(value);
    case 'services':
      return (
        (typeof value === 'string' && value !== '') ||
        (Array.isArray(value) && value.every((v) => typeof v === 'string'))
      );
    case 'keyring':
      return (typeof value === 'string' && value !== '') || (isObject(value) && 'keys' in value);
  }
}

const EXPECTED: Record<Kind, string> = {
  string: 'a non-empty string',
  integer: 'a whole number',
  services: 'a comma-separated string or an array of service names',
  keyring: 'an object {"keys": [...]} or that object as a string',
};

/**
 * Reads and checks a config file. Unknown keys are refused (a misspelt key would
 * otherwise be silently ignored), and so is a file holding the database URL or the
 * keyring that users other than its owner can read (S11).
 */
export async function loadConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the config file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`the config file ${path} is not valid JSON`);
  }
  if (!isObject(parsed)) throw new Error(`the config file ${path} must hold a JSON object`);
  for (const [key, value] of Object.entries(parsed)) {
    const kind = KEYS[key as keyof ConfigFile] as Kind | undefined;
    if (!kind) {
      throw new Error(
        `the config file ${path} has an unknown key "${key}" (known: ${Object.keys(KEYS).join(', ')})`,
      );
    }
    if (!fits(kind, value)) {
      throw new Error(`"${key}" in the config file ${path} must be ${EXPECTED[kind]}`);
    }
  }
  if (SECRET_KEYS.some((key) => key in parsed)) {
    const mode = (await stat(path)).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new Error(
        `the config file ${path} holds the database URL, the keyring or the AMQP URL and ` +
          `users other than its owner can read it ` +
          `(mode ${mode.toString(8)}); run: chmod 600 ${path}`,
      );
    }
  }
  // Every key was checked above against KEYS, which mirrors ConfigFile.
  return parsed;
}
