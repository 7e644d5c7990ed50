import type { ResolvedDestination } from './destinations.js';
import type { NetworkNames } from './names.js';
import type { SlotAddresses } from './slots.js';

/**
 * A task's two firewalls (S7), each one nftables table written exactly as `nft list
 * table` prints it, so that what was loaded can be read back and compared line for
 * line with what was meant (a `nft` that exits 0 without loading anything is caught).
 *
 * Inside the task's network namespace (`namespaceTable`): output and input policies are
 * drop; out go only packets to the listed address and port (TCP or UDP), and in only
 * replies. The task holds no capability there, so it cannot change this table, and the
 * host's ruleset (an operator's `nft flush ruleset`, a firewall service restarting) never
 * touches it.
 *
 * In the host's namespace (`hostTable`), keyed on the host's end of the task's veth:
 * - input: nothing from the task reaches the host itself (its services, the gateway
 *   address, any other address of the host); refused at once;
 * - forward: only the listed address and port leave; nothing may open a connection
 *   towards the task, replies excepted;
 * - postrouting: what leaves is masqueraded, since link-local sources do not route.
 * Base chains of other tables on the same hooks still apply: an accept here does not
 * override a drop elsewhere, so this table only ever narrows.
 *
 * Either table alone keeps the task to its allowlist; the task's routes (one per
 * listed address, no default route) are a third layer.
 *
 * The listed destinations sit in a chain of their own (`allowed`), which a network
 * made ahead has empty: a task's rules are then only added (`allowRules`), never put in
 * place of others. That matters for the task's start: a change that removes rules or
 * chains makes nft wait for an RCU grace period (about 10 ms here) before it exits.
 */

/** The table's name inside a task's own namespace (it is alone there). */
export const NAMESPACE_TABLE = 'bulwark';

function unique(destinations: readonly ResolvedDestination[]): { address: string; port: number }[] {
  const seen = new Map<string, { address: string; port: number }>();
  for (const { address, port } of destinations) seen.set(`${address}:${port}`, { address, port });
  return [...seen.values()];
}

function table(name: string, chains: string[][]): string {
  const body = chains.map((lines) => lines.map((line) => `\t${line}`).join('\n')).join('\n\n');
  return `table inet ${name} {\n${body}\n}\n`;
}

const ALLOWED_CHAIN = 'allowed';

function allowRule(d: { address: string; port: number }): string {
  return `ip daddr ${d.address} meta l4proto { tcp, udp } th dport ${d.port} accept`;
}

function allowedChain(destinations: readonly ResolvedDestination[]): string[] {
  return [`chain ${ALLOWED_CHAIN} {`, ...unique(destinations).map((d) => `\t${allowRule(d)}`), '}'];
}

/** What turns a table made for no destination into the one for these: additions only. */
export function allowRules(table: string, destinations: readonly ResolvedDestination[]): string {
  return unique(destinations)
    .map((d) => `add rule inet ${table} ${ALLOWED_CHAIN} ${allowRule(d)}\n`)
    .join('');
}

export function namespaceTable(destinations: readonly ResolvedDestination[]): string {
  return table(NAMESPACE_TABLE, [
    [
      'chain output {',
      '\ttype filter hook output priority filter; policy drop;',
      '\toifname "lo" accept',
      `\tjump ${ALLOWED_CHAIN}`,
      // Refused at once (a dropped SYN would make the client wait for its timeout); the
      // policy drops whatever these do not match.
      '\tmeta l4proto tcp reject with tcp reset',
      '\treject with icmpx admin-prohibited',
      '}',
    ],
    allowedChain(destinations),
    [
      'chain input {',
      '\ttype filter hook input priority filter; policy drop;',
      '\tiifname "lo" accept',
      '\tct state established,related accept',
      '}',
    ],
  ]);
}

export function hostTable(
  names: NetworkNames,
  addresses: SlotAddresses,
  destinations: readonly ResolvedDestination[],
): string {
  const veth = JSON.stringify(names.hostVeth);
  return table(names.table, [
    [
      'chain input {',
      '\ttype filter hook input priority filter - 10; policy accept;',
      `\tiifname ${veth} meta l4proto tcp reject with tcp reset`,
      `\tiifname ${veth} reject with icmpx admin-prohibited`,
      '}',
    ],
    [
      'chain forward {',
      '\ttype filter hook forward priority filter - 10; policy accept;',
      `\tiifname ${veth} jump ${ALLOWED_CHAIN}`,
      `\tiifname ${veth} meta l4proto tcp reject with tcp reset`,
      `\tiifname ${veth} reject with icmpx admin-prohibited`,
      `\toifname ${veth} ct state established,related accept`,
      `\toifname ${veth} drop`,
      '}',
    ],
    allowedChain(destinations),
    [
      'chain postrouting {',
      '\ttype nat hook postrouting priority srcnat; policy accept;',
      `\tip saddr ${addresses.task} oifname != ${veth} masquerade`,
      '}',
    ],
  ]);
}

/**
 * A script that replaces the table atomically: whatever a table of that name held
 * before (a leftover, the idle rules of a network made ahead) goes in the same
 * transaction that loads the new rules, so there is never a moment without them.
 */
export function replaceTableScript(name: string, printed: string): string {
  return `table inet ${name} {}\ndelete table inet ${name}\n${printed}`;
}
