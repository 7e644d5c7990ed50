import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { ExecutionRequest, ExecutionResult, Executor } from './engine.js';

/**
 * For development only (S9): commands run as plain child processes of the worker,
 * with no isolation at all. Every result is marked insecure, the task log says so,
 * and a pool marked isolated refuses this engine at start-up. What a task starts is
 * killed by process group, which a task can escape: this engine is not a sandbox.
 */
export class InsecureEngine implements Executor {
  readonly name = 'insecure';

  async run(request: ExecutionRequest): Promise<ExecutionResult> {
    if (request.network.mode !== 'none' || request.proxySocket !== undefined) {
      return {
        outcome: 'failed-to-start',
        exitCode: null,
        message: 'the insecure engine offers neither network policies nor a task proxy',
        insecure: true,
      };
    }
    const deadline = Date.now() + request.maxRunTime * 1000;
    let last: ExecutionResult = { outcome: 'exited', exitCode: 0, insecure: true };
    for (const argv of request.commands) {
      last = await runOne(argv, request, deadline);
      if (last.outcome !== 'exited' || last.exitCode !== 0) break;
    }
    return last;
  }
}

async function runOne(
  argv: string[],
  request: ExecutionRequest,
  deadline: number,
): Promise<ExecutionResult> {
  const child = spawn(argv[0] as string, argv.slice(1), {
    cwd: request.taskDir,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: request.taskDir, ...request.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.pipe(request.stdout, { end: false });
  child.stderr?.pipe(request.stderr, { end: false });
  let stoppedFor: 'timeout' | 'aborted' | undefined;
  const killGroup = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  };
  const stop = (why: 'timeout' | 'aborted'): void => {
    stoppedFor ??= why;
    killGroup();
  };
  const timer = setTimeout(() => stop('timeout'), Math.max(0, deadline - Date.now()));
  const onAbort = (): void => stop('aborted');
  request.signal.addEventListener('abort', onAbort, { once: true });
  if (request.signal.aborted) onAbort();
  const exit = await new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    error?: Error;
  }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  clearTimeout(timer);
  request.signal.removeEventListener('abort', onAbort);
  killGroup();
  if (exit.error) {
    return {
      outcome: 'failed-to-start',
      exitCode: null,
      message: `could not start ${argv[0] ?? ''}: ${exit.error.message}`,
      insecure: true,
    };
  }
  // A command killed by a signal reports 128 + N, as the sandbox engine does.
  const exitCode = exit.code ?? (exit.signal ? 128 + (constants.signals[exit.signal] ?? 0) : null);
  const ended = { exitCode, ...(exit.signal ? { signal: exit.signal } : {}), insecure: true };
  if (stoppedFor === 'timeout') {
    return {
      outcome: 'timeout',
      ...ended,
      message: `the task ran longer than its maxRunTime of ${request.maxRunTime} seconds and was stopped`,
    };
  }
  if (stoppedFor === 'aborted') {
    return { outcome: 'aborted', ...ended, message: 'the task was stopped by the worker' };
  }
  return { outcome: 'exited', ...ended };
}
