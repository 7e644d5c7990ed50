import type { NameResolver } from './destinations.js';

/** How the sandbox engine makes allowlist networks; every setting has a production default. */
export interface NetworkOptions {
  /**
   * Keep one closed task network ready while the worker waits for work (for pools that
   * permit destinations): a task then pays only for its own rules and routes.
   */
  prepareAhead?: boolean;
  /** How often a running task's firewalls are read back (S9); every 1000 ms. */
  checkIntervalMs?: number;
  /** The nftables command: a path, or `nft` (the default) from the system's PATH. */
  nft?: string;
  /** Resolves the names in a task's allowlist; the system resolver by default. */
  resolveName?: NameResolver;
  /** How many task networks (one /30 each) may exist at once; 4096 by default. */
  slots?: number;
}

export const DEFAULT_CHECK_INTERVAL_MS = 1000;
