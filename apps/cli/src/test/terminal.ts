import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliResult, Credentials } from './harness.js';

const bin = resolve(fileURLToPath(import.meta.url), '../../../bin/bulwark.js');

/** POSIX shell quoting, for the one command line `script` runs. */
function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs the real `bulwark` on a pseudo-terminal (util-linux `script`), as a person at a
 * terminal would: stdin and stdout are a tty, so prompts, colours and progress behave
 * as they do for people. `input` is typed into the terminal. The output is the
 * terminal's, with its carriage returns.
 */
export function runInTerminal(
  args: readonly string[],
  options: {
    rootUrl: string;
    configHome: string;
    credentials: Credentials | null;
    input?: string;
    env?: NodeJS.ProcessEnv;
    /** Called with the terminal's output so far; `type` sends keys to the terminal. */
    onOutput?: (output: string, type: (keys: string) => void) => void;
  },
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    TERM: 'xterm',
    XDG_CONFIG_HOME: options.configHome,
    TASKCLUSTER_ROOT_URL: options.rootUrl,
    ...(options.credentials
      ? {
          TASKCLUSTER_CLIENT_ID: options.credentials.clientId,
          TASKCLUSTER_ACCESS_TOKEN: options.credentials.accessToken,
        }
      : {}),
    ...options.env,
  };
  // `exec`: the command itself leads the terminal's foreground group, as when typed at an
  // interactive shell; a non-interactive sh left waiting would die of Ctrl-C first.
  const line = `exec ${[process.execPath, bin, ...args].map(quote).join(' ')}`;
  return new Promise((done, reject) => {
    const child = spawn('script', ['-qefc', line, '/dev/null'], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const type = (keys: string): void => void child.stdin.write(keys);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      options.onOutput?.(stdout, type);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => done({ code, stdout, stderr }));
    if (options.input !== undefined) child.stdin.write(options.input);
  });
}
