import { readdir } from 'node:fs/promises';
import { removeContents, type Removal } from '../cleanup/remove-tree.js';
import { TaskCgroup, type CgroupVersion } from './cgroup.js';
import { leftoverPatterns, networkNames, networkTag } from './network/names.js';
import { removeProbeDestination } from './network/probe-destination.js';
import { destroyNetworkObjects } from './network/task-network.js';
import { runTool } from './run-tool.js';

export interface Leftovers {
  cgroups: number;
  networks: number;
  taskDirs: number;
  /**
   * What could not be destroyed, in plain words: a cgroup whose processes survived, a
   * network object the kernel kept, a tree set aside into quarantine or still there.
   * The worker starts anyway (S19): every name it makes from now on is new.
   */
  problems: string[];
}

/**

 * After a crash, destroys what a previous run of this worker instance left behind
 * (S6): its cgroups (every process in them killed first), its task networks (nftables
 * tables, veths, named namespaces), the self-test's probe destination, and everything
 * in its task directories' parents.
 * Only objects carrying this instance's prefix (or its network tag) are touched:
 * another worker on the same host keeps its tasks. Never throws for what it finds
 * (S19): what cannot be destroyed is reported, and trees that cannot be removed are
 * moved into the quarantine directory, whose contents are retried first.
 */
export async function destroyLeftovers(options: {
  prefix: string;
  cgroupVersion: CgroupVersion;
  /** Where the cgroup hierarchies are mounted; `/sys/fs/cgroup` unless given. */
  cgroupRoot?: string;
  /** Directories whose entries are all task directories of this worker. */
  taskDirParents: readonly string[];
  /** Where trees that cannot be removed go; without it they stay where they are. */
  quarantineDir?: string;
}): Promise<Leftovers> {
  const problems: string[] = [];
  const cgroups = await TaskCgroup.findLeftovers(
    options.cgroupVersion,
    options.prefix,
    options.cgroupRoot,
  );
  for (const cgroup of cgroups) {
    await cgroup.destroy().catch((err: unknown) => {
      problems.push(`cgroup ${cgroup.name}: ${(err as Error).message}`);
    });
  }

  const tag = networkTag(options.prefix);
  const patterns = leftoverPatterns(tag);
  const slots = new Set<number>();
  const slotOf = (name: string): number => Number(/(\d+)$/.exec(name)?.[1]);
  for (const name of await readdir('/run/netns').catch(() => [])) {
    if (patterns.netns.test(name)) slots.add(slotOf(name));
  }
  for (const name of await readdir('/sys/class/net').catch(() => [])) {
    if (patterns.hostVeth.test(name)) slots.add(slotOf(name));
  }
  const tables = await runTool('nft', ['-j', 'list', 'tables']).catch(() => '{"nftables":[]}');
  for (const item of (JSON.parse(tables) as { nftables: { table?: { name: string } }[] })
    .nftables) {
    if (item.table && patterns.table.test(item.table.name)) slots.add(slotOf(item.table.name));
  }
  for (const slot of slots) {
    await destroyNetworkObjects(networkNames(tag, slot)).catch((err: unknown) => {
      problems.push(`task network ${slot}: ${(err as Error).message}`);
    });
  }
  // The self-test's probe destination, if the worker died while it was up.
  const probe = await removeProbeDestination(tag).catch((err: unknown) => {
    problems.push(`the self-test's probe destination: ${(err as Error).message}`);
    return false;
  });

  const trees = await removeLeftoverTrees(options);
  problems.push(...trees.problems);
  const networks = slots.size + (probe ? 1 : 0);
  return { cgroups: cgroups.length, networks, taskDirs: trees.taskDirs, problems };
}

/**
 * The file-system part of the recovery, which every engine needs: retries what was set
 * aside into quarantine (perhaps removable now: an operator cleared a flag, unmounted),
 * then removes every entry of the task directories' parents, setting aside what
 * cannot be removed. Never throws.
 */
export async function removeLeftoverTrees(options: {
  taskDirParents: readonly string[];
  quarantineDir?: string;
}): Promise<{ taskDirs: number; problems: string[] }> {
  const problems: string[] = [];
  if (options.quarantineDir !== undefined) {
    for (const removal of await removeContents(options.quarantineDir)) {
      if (removal.outcome !== 'removed') problems.push(describeRemoval(removal));
    }
  }
  let taskDirs = 0;
  for (const parent of options.taskDirParents) {
    const removals = await removeContents(parent, { quarantineDir: options.quarantineDir });
    taskDirs += removals.length;
    for (const removal of removals) {
      if (removal.outcome !== 'removed') problems.push(describeRemoval(removal));
    }
  }
  return { taskDirs, problems };
}

function describeRemoval(removal: Removal): string {
  const where =
    removal.outcome === 'set-aside' ? `set aside at ${removal.setAsideAt ?? ''}` : 'left in place';
  return `${removal.path} could not be removed (${removal.problem ?? 'unknown'}): ${where}`;
}
