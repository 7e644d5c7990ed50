import { createHash } from 'node:crypto';

/**
 * Names of the kernel objects one worker creates for a task's network, all derived
 * from a short tag of the worker's prefix, so a worker that starts after a crash finds
 * exactly its own leftovers (and never another worker's). Interface names have at
 * most 15 characters, hence the tag rather than the prefix itself.
 */
export interface NetworkNames {
  /** Network namespace, under /run/netns. */
  netns: string;
  /** The host's end of the veth pair. */
  hostVeth: string;
  /** The nftables table (family inet) holding this task's rules. */
  table: string;
}

/** The task's end of the veth pair, inside its namespace. */
export const TASK_VETH = 'eth0';

/** Six hex digits naming one worker's network objects. */
export function networkTag(prefix: string): string {
  return createHash('sha256').update(prefix).digest('hex').slice(0, 6);
}

export function networkNames(tag: string, slot: number): NetworkNames {
  return { netns: `bw-${tag}-${slot}`, hostVeth: `bw${tag}h${slot}`, table: `bw_${tag}_${slot}` };
}

/** Patterns matching every name a worker with this tag may have left behind. */
export function leftoverPatterns(tag: string): { netns: RegExp; hostVeth: RegExp; table: RegExp } {
  return {
    netns: new RegExp(`^bw-${tag}-\\d+$`),
    hostVeth: new RegExp(`^bw${tag}h\\d+$`),
    table: new RegExp(`^bw_${tag}_\\d+$`),
  };
}
