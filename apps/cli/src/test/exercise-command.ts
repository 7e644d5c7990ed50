import { spawn, type ChildProcess } from 'node:child_process';
import type { ExerciseReport } from '@bulwark/exercise';

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The real `bulwark exercise`, as an operator runs it: the admin credentials in a clean
 * environment (`env` adds to it or replaces them), the root URL on the command line.
 */
export function runExerciseCommand(
  bin: string,
  rootUrl: string,
  admin: { clientId: string; accessToken: string },
  args: string[],
  env: Record<string, string> = {},
  onStderr?: (stderr: string, child: ChildProcess) => void,
): Promise<Ran> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, 'exercise', '--root-url', rootUrl, ...args], {
      env: {
        PATH: process.env.PATH,
        TASKCLUSTER_CLIENT_ID: admin.clientId,
        TASKCLUSTER_ACCESS_TOKEN: admin.accessToken,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      onStderr?.(stderr, child);
    });
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

/** The ids of the attacks a report says were BREACHED, sorted. */
export const breached = (report: ExerciseReport): string[] =>
  report.results
    .filter((r) => r.verdict === 'BREACHED')
    .map((r) => r.id)
    .sort();
