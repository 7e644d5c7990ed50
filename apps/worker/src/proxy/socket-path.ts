import { dirname, join } from 'node:path';

/**
 * Where a run's proxy listens: a socket alone in a directory of its own, which the
 * sandbox binds (and nothing else of the run). The names are one letter each because a
 * unix socket's path is limited to 108 bytes, and the data directory, the runs
 * directory and the run's name already take much of it: longer names made every
 * proxy task fail on workers whose data directory is a little deeper.
 */
export function proxySocketPath(runDir: string): string {
  return join(runDir, 'p', 's');
}

export function proxySocketDirectory(runDir: string): string {
  return dirname(proxySocketPath(runDir));
}
