import { Command } from 'commander';
import { apiErrorBody, describeApiError, type ApiError } from './api-error.js';
import { NotConfirmed } from './confirm.js';
import { UsageError } from './credentials.js';

/**
 * Exit codes, documented in docs/cli.md: scripts can tell a missing scope from a
 * missing thing without parsing messages.
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  authentication: 3,
  scopes: 4,
  notFound: 5,
  conflict: 6,
  input: 7,
  /** `task run`: the task resolved exception (canceled, deadline, malformed payload, ...). */
  taskException: 8,
} as const;

const BY_STATUS: Record<number, number> = {
  400: EXIT.input,
  401: EXIT.authentication,
  403: EXIT.scopes,
  404: EXIT.notFound,
  409: EXIT.conflict,
};

/**
 * An error shaped as taskcluster-client reports API errors, for failures the CLI finds
 * itself (a task without runs, a refused stream), so `action` prints and exits alike.
 */
export function apiFailure(statusCode: number, code: string | undefined, message: string): Error {
  return Object.assign(new Error(message), { statusCode, code });
}

/**
 * The exit code for a task that resolved: 0 completed, the command's exit code (1 when
 * unknown) failed, 8 exception.
 */
export function taskExitCode(state: string, commandExitCode?: number): number {
  if (state === 'completed') return EXIT.ok;
  if (state === 'failed') {
    return commandExitCode !== undefined && commandExitCode > 0 ? commandExitCode : EXIT.failure;
  }
  return EXIT.taskException;
}

/**
 * Runs a command's action and turns any failure into a clear message on stderr with
 * the API error code and the whole reason (which scopes, which field), and a
 * meaningful exit code; with --json, the API's error body as JSON instead. Never
 * prints a stack or a token.
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      const command = args[args.length - 1];
      const json = command instanceof Command && command.opts().json === true;
      if (err instanceof UsageError) {
        process.stderr.write(`bulwark: ${err.message}\n`);
        process.exitCode = EXIT.usage;
        return;
      }
      if (err instanceof NotConfirmed) {
        process.stderr.write(`bulwark: ${err.message}\n`);
        process.exitCode = EXIT.failure;
        return;
      }
      const e = (err ?? {}) as ApiError;
      if (typeof e.statusCode === 'number') {
        process.stderr.write(
          json ? `${JSON.stringify(apiErrorBody(e))}\n` : `bulwark: ${describeApiError(e)}\n`,
        );
        process.exitCode = BY_STATUS[e.statusCode] ?? EXIT.failure;
        return;
      }
      process.stderr.write(`bulwark: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = EXIT.failure;
    }
  };
}
