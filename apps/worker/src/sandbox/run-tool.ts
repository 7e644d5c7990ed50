import { spawn } from 'node:child_process';

/** A system tool that failed: its name and what it said, for a plain-words reason. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_TOOL_FAILED';
  constructor(
    readonly tool: string,
    readonly stderr: string,
    code: number | null,
    /** What it wrote on stdout before it failed. */
    readonly stdout = '',
  ) {
    super(
      `${tool} failed (exit ${String(code)}): ${stderr.trim().split('\n').slice(0, 3).join('; ')}`,
    );
  }
}

/**
 * Runs one of the system tools the engine drives (ip, nft), with a fixed PATH and no
 * shell, feeding `input` on stdin. Resolves with stdout; rejects with a ToolError.
 */
export function runTool(command: string, args: readonly string[], input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', (err) => reject(new ToolError(command, err.message, null)));
    child.once('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new ToolError(command, stderr, code, stdout));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}
