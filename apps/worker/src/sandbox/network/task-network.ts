import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { runTool } from '../run-tool.js';
import type { ResolvedDestination } from './destinations.js';
import { Firewall } from './firewall.js';
import { networkNames, TASK_VETH, type NetworkNames } from './names.js';
import { allowRules, hostTable, NAMESPACE_TABLE, namespaceTable } from './nft-rules.js';
import { slotAddresses, type SlotAllocator, type SlotAddresses } from './slots.js';

/**
 * A task's network in allowlist mode (S7): a named network namespace joined to the
 * host by a veth pair with link-local addresses, a firewall inside the namespace and
 * one in the host's, and one route per listed address. The sandbox enters the
 * namespace before it starts; nothing in it can change it (no capabilities).
 *
 * Made in two steps, so that the slow part (the namespace and the veth pair, tens of
 * milliseconds of kernel work) can be done before the task arrives:
 * - create(): both firewalls, refusing everything, are loaded and read back BEFORE the
 *   veth pair exists; the host's end never forwards;
 * - apply(): the task's destinations are added to both (atomically, read back again),
 *   then its routes, and only then may the host's end forward.
 */
export class TaskNetwork {
  private readonly hostFirewall: Firewall;
  private readonly namespaceFirewall: Firewall;
  /** The tables as they must be while the task runs (printed form). */
  private meant: { host: string; namespace: string };
  private released = false;

  private constructor(
    readonly names: NetworkNames,
    readonly addresses: SlotAddresses,
    private readonly slot: number,
    private readonly allocator: SlotAllocator,
    nft: string,
  ) {
    this.hostFirewall = new Firewall(nft, names.table, undefined);
    this.namespaceFirewall = new Firewall(nft, NAMESPACE_TABLE, this.netnsPath);
    this.meant = { host: hostTable(names, addresses, []), namespace: namespaceTable([]) };
  }

  /** Where `nsenter --net=` finds the namespace. */
  get netnsPath(): string {
    return `/run/netns/${this.names.netns}`;
  }

  /**
   * A network that lets nothing through yet. Whatever fails, everything made so far is
   * removed and the slot returned before the error is thrown.
   */
  static async create(tag: string, allocator: SlotAllocator, nft: string): Promise<TaskNetwork> {
    const slot = allocator.acquire();
    const network = new TaskNetwork(
      networkNames(tag, slot),
      slotAddresses(slot),
      slot,
      allocator,
      nft,
    );
    const { netns, hostVeth } = network.names;
    const { host, task, prefixLength } = network.addresses;
    try {
      await runTool('ip', ['netns', 'add', netns]);
      // Deny first: both tables are in place and read back before there is a link.
      const loads = await Promise.allSettled([
        network.namespaceFirewall.load(network.meant.namespace),
        network.hostFirewall.load(network.meant.host),
      ]);
      for (const load of loads) if (load.status === 'rejected') throw load.reason;
      // The peer is created inside the namespace, so it never exists on the host.
      // addrgenmode none: no IPv6 link-local address on either end (the tables drop
      // IPv6 anyway).
      await runTool(
        'ip',
        ['-batch', '-'],
        [
          `link add ${hostVeth} type veth peer name ${TASK_VETH} netns ${netns}`,
          `link set ${hostVeth} addrgenmode none`,
          `addr add ${host}/${prefixLength} dev ${hostVeth}`,
          `link set ${hostVeth} up`,
          '',
        ].join('\n'),
      );
      // A new interface inherits the host's default, which an operator may have set to
      // forward: this one does not until its task's rules are in place.
      await writeFile(`/proc/sys/net/ipv4/conf/${hostVeth}/forwarding`, '0');
      await writeFile(`/proc/sys/net/ipv6/conf/${hostVeth}/disable_ipv6`, '1');
      // No route yet: only the veth's own /30 is reachable, and the firewall drops that.
      await runTool(
        'ip',
        ['-n', netns, '-batch', '-'],
        [
          `link set ${TASK_VETH} addrgenmode none`,
          `addr add ${task}/${prefixLength} dev ${TASK_VETH}`,
          'link set lo up',
          `link set ${TASK_VETH} up`,
          '',
        ].join('\n'),
      );
    } catch (err) {
      await network.destroy().catch(() => undefined);
      throw err;
    }
    return network;
  }

  /**
   * Opens the listed destinations, and nothing else: they are added to both closed
   * tables, which are read back (a table found otherwise than it was made is replaced
   * whole), a route goes to each listed address (there is no default route), and the
   * host's end forwards only once all of that is in place.
   */
  async apply(destinations: readonly ResolvedDestination[]): Promise<void> {
    this.meant = {
      host: hostTable(this.names, this.addresses, destinations),
      namespace: namespaceTable(destinations),
    };
    const routes = [...new Set(destinations.map((d) => d.address))].map(
      (address) => `route add ${address}/32 via ${this.addresses.host} dev ${TASK_VETH}`,
    );
    // All three settle before a failure is reported: the caller then removes the
    // network, and nothing may still be writing to it.
    const steps = await Promise.allSettled([
      this.namespaceFirewall.extend(
        this.meant.namespace,
        allowRules(NAMESPACE_TABLE, destinations),
      ),
      this.hostFirewall.extend(this.meant.host, allowRules(this.names.table, destinations)),
      routes.length > 0
        ? runTool('ip', ['-n', this.names.netns, '-batch', '-'], `${routes.join('\n')}\n`)
        : undefined,
    ]);
    for (const step of steps) if (step.status === 'rejected') throw step.reason;
    if (destinations.length > 0) {
      // Forwarding for packets arriving on this veth only; the host-wide switch stays off.
      await writeFile(`/proc/sys/net/ipv4/conf/${this.names.hostVeth}/forwarding`, '1');
    }
  }

  /**
   * What is wrong with the task's firewalls right now (a table deleted or changed, by
   * an operator's `nft flush ruleset` for example), or undefined when both are intact.
   */
  async policyProblem(): Promise<string | undefined> {
    const [inside, outside] = await Promise.all([
      this.namespaceFirewall.difference(this.meant.namespace),
      this.hostFirewall.difference(this.meant.host),
    ]);
    return inside ?? outside;
  }

  /**
   * Removes the host's table, the veth pair and the namespace (with the table inside
   * it), trying each whatever the others did. The slot is free again once the veth and
   * the namespace are gone; throws if anything survives.
   */
  async destroy(): Promise<void> {
    try {
      await destroyNetworkObjects(this.names, this.hostFirewall);
    } finally {
      // Once only: after that the slot may already belong to another task's network.
      if (!this.released && !networkObjectsExist(this.names)) {
        this.released = true;
        this.allocator.release(this.slot);
      }
    }
  }
}

function networkObjectsExist(names: NetworkNames): boolean {
  return existsSync(`/sys/class/net/${names.hostVeth}`) || existsSync(`/run/netns/${names.netns}`);
}

/**
 * Deletes a task's network objects, whichever of them exist. The veth goes first and
 * synchronously: deleting only the namespace frees it later, and its name lingers.
 */
export async function destroyNetworkObjects(
  names: NetworkNames,
  hostFirewall = new Firewall('nft', names.table, undefined),
): Promise<void> {
  const problems: string[] = [];
  await hostFirewall.delete().catch((err: unknown) => problems.push((err as Error).message));
  await runTool(
    'ip',
    ['-force', '-batch', '-'],
    `link del ${names.hostVeth}\nnetns del ${names.netns}\n`,
  ).catch(() => undefined);
  if (networkObjectsExist(names)) {
    problems.push(`the task network ${names.netns} could not be removed`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
}
