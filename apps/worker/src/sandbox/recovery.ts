import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TaskCgroup, type CgroupVersion } from './cgroup.js';
import { leftoverPatterns, networkNames, networkTag } from './network/names.js';
import { removeProbeDestination } from './network/probe-destination.js';
import { destroyNetworkObjects } from './network/task-network.js';
import { runTool } from './run-tool.js';

export interface Leftovers {
  cgroups: number;
  networks: number;
  taskDirs: number;
}

/**
 * After a crash, destroys what a previous run of this worker left behind (S6): its
 * cgroups (every process in them killed first), its task networks (nftables tables,
 * veths, named namespaces), the self-test's probe destination, and everything in its task directories' parents. Only
 * objects carrying this worker's prefix (or its network tag) are touched: another
 * worker on the same host keeps its tasks.
 */
export async function destroyLeftovers(options: {
  prefix: string;
  cgroupVersion: CgroupVersion;
  /** Where the cgroup hierarchies are mounted; `/sys/fs/cgroup` unless given. */
  cgroupRoot?: string;
  /** Directories whose entries are all task directories of this worker. */
  taskDirParents: readonly string[];
}): Promise<Leftovers> {
  const cgroups = await TaskCgroup.findLeftovers(
    options.cgroupVersion,
    options.prefix,
    options.cgroupRoot,
  );
  for (const cgroup of cgroups) await cgroup.destroy();

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
  for (const slot of slots) await destroyNetworkObjects(networkNames(tag, slot));
  // The self-test's probe destination, if the worker died while it was up.
  const probe = await removeProbeDestination(tag);

  let taskDirs = 0;
  for (const parent of options.taskDirParents) {
    for (const entry of await readdir(parent).catch(() => [])) {
      await rm(join(parent, entry), { recursive: true, force: true });
      taskDirs++;
    }
  }
  return { cgroups: cgroups.length, networks: slots.size + (probe ? 1 : 0), taskDirs };
}
