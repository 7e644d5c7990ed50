import { spawn, type ChildProcess } from 'node:child_process';
import { reapOnExit } from './child-reaper.js';
import { launchArguments, type BindMount } from './server-launch.js';
import type { ServerLog } from './server-log.js';
import type { ServerUser } from './server-user.js';

/** How PostgreSQL programs are spawned: as whom, and where their output goes. */
export interface ChildSpawnContext {
  /** Undefined: run as ourselves (we are not root). */
  readonly user: ServerUser | undefined;
  readonly log: ServerLog;
  /**
   * Private per-start directory (server socket, initdb's password file), removed
   * along with the child if our process dies while it runs.
   */
  readonly runtimeDir: string;
  /** As root: what the program's private mount namespace binds (see server-launch.ts). */
  readonly mounts: readonly BindMount[];
}

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the program could not be started at all (ENOENT, EACCES). */
  readonly error?: Error;
}

export interface SpawnedChild {
  readonly process: ChildProcess;
  /** Settles once the child has exited (never rejects). */
  readonly exited: Promise<ChildExit>;
}

/**
 * Starts a PostgreSQL program with a minimal environment: our environment may hold
 * credentials (S1) and locale settings that would make its messages vary. It gets a
 * session of its own, so a Ctrl-C at our terminal reaches only us and we stop it in
 * order, after our own connections are closed; and it gets a signal when we die.
 */
export function spawnChild(context: ChildSpawnContext, file: string, args: string[]): SpawnedChild {
  const env: NodeJS.ProcessEnv = { LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/bin:/bin' };
  if (process.env.TZ !== undefined) env.TZ = process.env.TZ;
  const fd = context.log.handle.fd;
  const [program, ...programArgs] = launchArguments({
    user: context.user,
    mounts: context.mounts,
    file,
    args,
  });
  const child = spawn(program!, programArgs, { env, stdio: ['ignore', fd, fd], detached: true });
  reapOnExit(child, context.runtimeDir);
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A spawn failure emits 'error' and no 'exit'.
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });
  return { process: child, exited };
}

/** Runs a program to completion; a failure carries the end of its output. */
export async function runChild(
  context: ChildSpawnContext,
  file: string,
  args: string[],
): Promise<void> {
  const from = await context.log.offset();
  const exit = await spawnChild(context, file, args).exited;
  if (exit.code === 0) return;
  throw new Error(`${file} failed (${describeExit(exit)}):\n${await context.log.tail(from)}`);
}

export function describeExit({ code, signal, error }: ChildExit): string {
  if (error) return `could not be started: ${error.message}`;
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}
