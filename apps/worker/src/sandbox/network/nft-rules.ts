import type { ResolvedDestination } from './destinations.js';
import type { NetworkNames } from './names.js';
import type { SlotAddresses } from './slots.js';

/**
 * One task's firewall (S7), as an nftables script: its own table, so that tasks never
 * share rules and a task's teardown is one `delete table`. Everything is keyed on the
 * host's end of the task's veth pair:
 * - input: nothing from the task reaches the host itself (its services, the gateway
 *   address, any other address of the host); refused at once, so clients fail fast;
 * - forward: only the listed address and port (TCP or UDP) leave; everything else,
 *   metadata addresses and other hosts included, is refused; nothing may open a
 *   connection towards the task, replies excepted;
 * - postrouting: what leaves is masqueraded, since link-local sources do not route.
 * Base chains of other tables on the same hooks still apply: an accept here does not
 * override a drop elsewhere, so this table only ever narrows.
 */
export function taskRuleset(
  names: NetworkNames,
  addresses: SlotAddresses,
  destinations: readonly ResolvedDestination[],
): string {
  const veth = JSON.stringify(names.hostVeth);
  const allow = destinations.map(
    (d) =>
      `    iifname ${veth} ip daddr ${d.address} meta l4proto { tcp, udp } th dport ${d.port} accept`,
  );
  return [
    `table inet ${names.table} {`,
    '  chain input {',
    '    type filter hook input priority -10; policy accept;',
    `    iifname ${veth} meta l4proto tcp reject with tcp reset`,
    `    iifname ${veth} reject with icmpx type admin-prohibited`,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority -10; policy accept;',
    ...allow,
    `    iifname ${veth} meta l4proto tcp reject with tcp reset`,
    `    iifname ${veth} reject with icmpx type admin-prohibited`,
    `    oifname ${veth} ct state established,related accept`,
    `    oifname ${veth} drop`,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority 100; policy accept;',
    `    ip saddr ${addresses.task} oifname != ${veth} masquerade`,
    '  }',
    '}',
    '',
  ].join('\n');
}
