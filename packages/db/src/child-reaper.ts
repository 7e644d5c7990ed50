import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/**
 * Makes sure no PostgreSQL process (initdb or server) outlives our process, even
 * when a test forgets stop() or the process is told to terminate. Without this a
 * killed test run leaves servers behind that hold memory and their data directories.
 */

interface Tracked {
  readonly child: ChildProcess;
  /** Removed as well: the server's socket directory. */
  readonly directory: string | undefined;
}

const tracked = new Set<Tracked>();
const TERMINATING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let hooksInstalled = false;

export function reapOnExit(child: ChildProcess, directory?: string): void {
  const entry = { child, directory };
  tracked.add(entry);
  child.once('exit', () => tracked.delete(entry));
  child.once('error', () => tracked.delete(entry));
  if (!hooksInstalled) {
    hooksInstalled = true;
    process.on('exit', reapAll);
    for (const signal of TERMINATING_SIGNALS) process.on(signal, onTerminatingSignal);
  }
}

function reapAll(): void {
  for (const { child, directory } of tracked) {
    // SIGINT: initdb removes its half-made cluster; the server does a fast shutdown,
    // which it completes on its own after we are gone.
    child.kill('SIGINT');
    if (directory) rmSync(directory, { recursive: true, force: true });
  }
  tracked.clear();
}

function onTerminatingSignal(signal: NodeJS.Signals): void {
  // If the application handles this signal, it shuts down in order and stops the
  // server itself (queries still in flight need it); we only act for processes
  // that would otherwise die on the spot, like test files.
  if (process.listenerCount(signal) > 1) return;
  reapAll();
  for (const other of TERMINATING_SIGNALS) process.removeListener(other, onTerminatingSignal);
  // Die of the same signal, as the process would have without our listener.
  process.kill(process.pid, signal);
}
