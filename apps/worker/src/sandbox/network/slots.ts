import { networkInterfaces } from 'node:os';

/**
 * Link-local /30 subnets for task veth pairs: 169.254.64.0/18, 4096 of them. Away from
 * 169.254.0.0/24 and 169.254.255.0/24 (reserved by RFC 3927) and from 169.254.169.0/24,
 * where cloud metadata services live.
 */
const BASE = (169 << 24) | (254 << 16) | (64 << 8);
export const SLOT_COUNT = 4096;

export interface SlotAddresses {
  /** The host's end: the task's gateway. */
  host: string;
  /** The task's end. */
  task: string;
  prefixLength: 30;
}

export function slotAddresses(slot: number): SlotAddresses {
  const base = BASE + slot * 4;
  return { host: ipv4(base + 1), task: ipv4(base + 2), prefixLength: 30 };
}

function ipv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

/**
 * Hands out slots to the tasks of one engine. A slot whose gateway address is already
 * on an interface of this host (another worker's task) is skipped; the scan starts at
 * an offset taken from the worker's tag so that two workers rarely even look at the
 * same slots.
 */
export class SlotAllocator {
  private readonly taken = new Set<number>();
  private next: number;
  private readonly count: number;

  /** `count`: how many slots this engine may use (all of them unless a test narrows it). */
  constructor(tag: string, count = SLOT_COUNT) {
    this.count = Math.max(1, Math.min(SLOT_COUNT, Math.floor(count)));
    this.next = Number.parseInt(tag, 16) % this.count;
  }

  acquire(): number {
    const inUse = new Set<string>();
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) inUse.add(address.address);
    }
    for (let i = 0; i < this.count; i++) {
      const slot = (this.next + i) % this.count;
      if (this.taken.has(slot) || inUse.has(slotAddresses(slot).host)) continue;
      this.taken.add(slot);
      this.next = (slot + 1) % this.count;
      return slot;
    }
    throw new Error('every link-local subnet for task networks is in use');
  }

  release(slot: number): void {
    this.taken.delete(slot);
  }
}
