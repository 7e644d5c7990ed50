import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where the machine's cgroup hierarchies are mounted. Everything that touches cgroups
 * takes the root as a parameter with this default, so that the same code can be proven
 * against another hierarchy (a cgroup2 mount of a test's own) on a machine whose
 * /sys/fs/cgroup is laid out otherwise.
 */
export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

export type CgroupVersion = 1 | 2;

/** v1 hierarchies a task is placed in; freezer makes killing every process race-free. */
export const V1_CONTROLLERS = ['memory', 'pids', 'cpu', 'freezer'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

/** What a v2 task cgroup needs from its parent to apply the task's limits (S8). */
export const V2_CONTROLLERS = ['memory', 'pids', 'cpu'] as const;

/**
 * Which cgroup layout the hierarchy at `root` has: v2 when `root` is a cgroup2 mount
 * (only those have `cgroup.controllers` at the top; a hybrid machine's /sys/fs/cgroup is
 * a tmpfs holding v1 mounts), v1 when the memory controller has a v1 hierarchy there.
 * Neither: rejects. Whether a v2 hierarchy offers the controllers the limits need is
 * checked where they are applied, by `requireV2Controllers`, so that the refusal names
 * the missing controller and its fix.
 */
export async function detectCgroupVersion(root = DEFAULT_CGROUP_ROOT): Promise<CgroupVersion> {
  if (await exists(join(root, 'cgroup.controllers'))) return 2;
  await access(join(root, 'memory', 'memory.limit_in_bytes'));
  return 1;
}

/** The directories of one task's cgroup: one per v1 controller, or one for v2. */
export function taskCgroupPaths(version: CgroupVersion, root: string, name: string): string[] {
  return hierarchyTops(version, root).map((top) => join(top, name));
}

/** The directories task cgroups are made in: the top of each hierarchy. */
export function hierarchyTops(version: CgroupVersion, root: string): string[] {
  return version === 2 ? [root] : V1_CONTROLLERS.map((c) => join(root, c));
}

/** A v2 hierarchy that cannot give a task cgroup its limits; the message says how to fix it. */
export class CgroupControllersMissing extends Error {
  override readonly name = 'CgroupControllersMissing';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_CGROUP_CONTROLLERS_MISSING';
}

/**
 * Fail closed (S9): a v2 task cgroup has a controller's limit files only when its parent
 * enables that controller for its children (`cgroup.subtree_control`), and the parent can
 * only enable what the hierarchy offers (`cgroup.controllers`). Without them the task
 * would run with no memory, pids or CPU limit, so this rejects, before anything is made,
 * naming each missing controller and the fix for why it is missing.
 */
export async function requireV2Controllers(root: string): Promise<void> {
  const enabled = await words(join(root, 'cgroup.subtree_control'));
  const missing = V2_CONTROLLERS.filter((c) => !enabled.has(c));
  if (missing.length === 0) return;
  const offered = await words(join(root, 'cgroup.controllers'));
  const absent = missing.filter((c) => !offered.has(c));
  const disabled = missing.filter((c) => offered.has(c));
  const fixes: string[] = [];
  if (absent.length > 0) {
    const bootFix =
      'boot with systemd.unified_cgroup_hierarchy=1 (or cgroup_no_v1=all) so that cgroup v2 has them';
    // Only the top cgroup of a hierarchy has no cgroup.events.
    const isTop = !(await exists(join(root, 'cgroup.events')));
    fixes.push(
      isTop
        ? `${list(absent)} ${absent.length === 1 ? 'is' : 'are'} not offered by this hierarchy ` +
            `(bound to a cgroup v1 hierarchy, or not built into the kernel): ${bootFix}`
        : `${list(absent)} ${absent.length === 1 ? 'is' : 'are'} not passed down to ${root}: ` +
            "enable them in its parent's cgroup.subtree_control and in every ancestor's up to " +
            "the hierarchy's top (under systemd, give the worker Delegate=yes); if the top does " +
            `not offer them either (bound to a cgroup v1 hierarchy), ${bootFix}`,
    );
  }
  if (disabled.length > 0) {
    fixes.push(
      `enable ${list(disabled)} for child cgroups: ` +
        `echo "${disabled.map((c) => `+${c}`).join(' ')}" > ${join(root, 'cgroup.subtree_control')}` +
        ' (under systemd, give the worker Delegate=yes)',
    );
  }
  const plural = missing.length === 1 ? 'controller' : 'controllers';
  throw new CgroupControllersMissing(
    `the cgroup v2 hierarchy at ${root} does not give task cgroups the ${list(missing)} ${plural}, ` +
      `so the task's limits cannot be applied and it is not run: ${fixes.join('; ')}`,
  );
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function words(file: string): Promise<Set<string>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return new Set(text.split(/\s+/).filter(Boolean));
}

function list(names: readonly string[]): string {
  return names.length <= 1
    ? (names[0] ?? '')
    : `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`;
}
