import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { runTool, ToolError } from '../run-tool.js';
import type { ResolvedDestination } from './destinations.js';
import { networkNames, TASK_VETH, type NetworkNames } from './names.js';
import { taskRuleset } from './nft-rules.js';
import { slotAddresses, type SlotAllocator, type SlotAddresses } from './slots.js';

/**
 * A task's network in allowlist mode (S7): a named network namespace joined to the
 * host by a veth pair with link-local addresses, a default route through the host,
 * and the task's own nftables table. The sandbox enters the namespace before it
 * starts; nothing in it can change it (no capabilities). Three tool runs to set up,
 * two to tear down.
 */
export class TaskNetwork {
  private constructor(
    readonly names: NetworkNames,
    readonly addresses: SlotAddresses,
    private readonly slot: number,
    private readonly allocator: SlotAllocator,
  ) {}

  /** Where `nsenter --net=` finds the namespace. */
  get netnsPath(): string {
    return `/run/netns/${this.names.netns}`;
  }

  static async create(
    tag: string,
    allocator: SlotAllocator,
    destinations: readonly ResolvedDestination[],
  ): Promise<TaskNetwork> {
    const slot = allocator.acquire();
    const network = new TaskNetwork(networkNames(tag, slot), slotAddresses(slot), slot, allocator);
    const { netns, hostVeth } = network.names;
    const { host, task, prefixLength } = network.addresses;
    try {
      // The peer is created inside the namespace, so it never exists on the host.
      // addrgenmode none: no IPv6 link-local address on either end (the firewall is
      // written for IPv4; the table's family inet still refuses any IPv6 packet).
      await runTool(
        'ip',
        ['-batch', '-'],
        [
          `netns add ${netns}`,
          `link add ${hostVeth} type veth peer name ${TASK_VETH} netns ${netns}`,
          `link set ${hostVeth} addrgenmode none`,
          `addr add ${host}/${prefixLength} dev ${hostVeth}`,
          `link set ${hostVeth} up`,
          '',
        ].join('\n'),
      );
      // Forwarding for packets arriving on this veth only; the host-wide switch stays off.
      await writeFile(`/proc/sys/net/ipv4/conf/${hostVeth}/forwarding`, '1');
      await writeFile(`/proc/sys/net/ipv6/conf/${hostVeth}/disable_ipv6`, '1');
      await runTool(
        'ip',
        ['-n', netns, '-batch', '-'],
        [
          `link set ${TASK_VETH} addrgenmode none`,
          `addr add ${task}/${prefixLength} dev ${TASK_VETH}`,
          'link set lo up',
          `link set ${TASK_VETH} up`,
          `route add default via ${host}`,
          '',
        ].join('\n'),
      );
      await runTool(
        'nft',
        ['-f', '-'],
        taskRuleset(network.names, network.addresses, destinations),
      );
    } catch (err) {
      await network.destroy().catch(() => undefined);
      throw err;
    }
    return network;
  }

  /** Removes the table, the veth pair and the namespace; throws if any survives. */
  async destroy(): Promise<void> {
    await destroyNetworkObjects(this.names);
    this.allocator.release(this.slot);
  }
}

/**
 * Deletes a task's network objects, whichever of them exist. The veth goes first and
 * synchronously: deleting only the namespace frees it later, and its name lingers.
 */
export async function destroyNetworkObjects(names: NetworkNames): Promise<void> {
  await runTool('nft', ['delete', 'table', 'inet', names.table]).catch((err: unknown) => {
    if (!(err instanceof ToolError && err.stderr.includes('No such file or directory'))) throw err;
  });
  await runTool(
    'ip',
    ['-force', '-batch', '-'],
    `link del ${names.hostVeth}\nnetns del ${names.netns}\n`,
  ).catch(() => undefined);
  if (existsSync(`/sys/class/net/${names.hostVeth}`) || existsSync(`/run/netns/${names.netns}`)) {
    throw new Error(`the task network ${names.netns} could not be removed`);
  }
}
