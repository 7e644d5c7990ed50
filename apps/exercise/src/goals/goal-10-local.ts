import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deploymentIsLocal } from '../host-victim.js';
import { inconclusive, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, ExerciseContext } from '../types.js';

const MAX_ENTRIES = 50_000;
const MAX_PROCESSES = 5_000;

/**
 * 10.world-accessible: the deployment's data directory (when on this machine and named
 * with --data-dir) holds nothing another user of the host can read or change: no file
 * readable or writable by others, no directory others may list or write. Read-only:
 * it only looks at modes, bounded to 50,000 entries; it follows no link.
 */
export async function worldAccessibleAttack(context: ExerciseContext): Promise<AttackResult> {
  const info: AttackInfo = {
    goal: 10,
    id: '10.world-accessible',
    title: 'files of the deployment other users of the host can read or change',
    invariants: ['S11', 'S1'],
  };
  if (context.dataDir === undefined) {
    return inconclusive(info, 'no data directory to walk: name it with --data-dir when local');
  }
  const found: string[] = [];
  let walked = 0;
  const pending = [context.dataDir];
  while (pending.length > 0 && walked < MAX_ENTRIES) {
    const dir = pending.pop()!;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (++walked > MAX_ENTRIES) break;
      const path = join(dir, name);
      const stat = await lstat(path).catch(() => undefined);
      if (!stat || stat.isSymbolicLink()) continue;
      const other = stat.mode & 0o007;
      if (stat.isDirectory()) {
        if (other & 0o002 && !(stat.mode & 0o1000)) found.push(`${path} (directory, others write)`);
        else if (other & 0o004) found.push(`${path} (directory, others list)`);
        pending.push(path);
      } else if (other & 0o006) {
        found.push(`${path} (others ${other & 0o004 ? 'read' : 'write'})`);
      }
    }
  }
  const root = await lstat(context.dataDir).catch(() => undefined);
  if (root && root.mode & 0o006) found.unshift(`${context.dataDir} (others list or write)`);
  const evidence = {
    request: `walk ${context.dataDir}`,
    notes: [`${walked} entries`, ...found.slice(0, 20)],
  };
  if (found.length > 0) {
    return result(info, 'BREACHED', `${found.length} entries are open to other users`, evidence);
  }
  return result(info, 'BLOCKED', 'nothing in the data directory is open to other users', evidence);
}

/**
 * 10.credentials-in-argv: no process on this machine shows a credential or a secret
 * value the exercise knows of on its command line, which every user can read in
 * /proc/<pid>/cmdline (S1). Only when the deployment is on this machine.
 */
export async function argvAttack(context: ExerciseContext): Promise<AttackResult> {
  const info: AttackInfo = {
    goal: 10,
    id: '10.credentials-in-argv',
    title: 'credentials and secret values on command lines (/proc/*/cmdline)',
    invariants: ['S1'],
  };
  if (!deploymentIsLocal(context.rootUrl)) {
    return inconclusive(info, 'the deployment is not on this machine: its processes are not here');
  }
  const values = [...context.knownTokens, context.victims?.secretValue].filter(
    (value): value is string => value !== undefined && value.length >= 8,
  );
  const pids = (await readdir('/proc'))
    .filter((name) => /^\d+$/.test(name))
    .slice(0, MAX_PROCESSES);
  const found: string[] = [];
  let read = 0;
  for (const pid of pids) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
    if (cmdline === undefined) continue;
    read++;
    if (values.some((value) => cmdline.includes(value))) {
      const program = cmdline.split('\0')[0]?.slice(0, 80) ?? '?';
      found.push(`pid ${pid} (${program})`);
    }
  }
  const evidence = {
    request: 'read /proc/*/cmdline',
    notes: [`${read} command lines scanned for ${values.length} value(s)`, ...found.slice(0, 20)],
  };
  if (found.length > 0) {
    return result(info, 'BREACHED', `${found.length} command line(s) show a credential`, evidence);
  }
  return result(info, 'BLOCKED', 'no command line shows a credential or a secret value', evidence);
}
