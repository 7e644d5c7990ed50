import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

/**
 * What this machine offers a task that shares its network or runs without seccomp: a
 * few exercise attacks (an address besides loopback, a gateway, a route to a metadata
 * address, vsock) can only be breached where the host has them. Found the way the attacks find them: the route
 * tables, connect() on a UDP socket (which sends nothing), creating a vsock socket.
 */
export interface HostFacts {
  /** An address of this machine's besides loopback (IPv6 link-local aside). */
  address: boolean;
  gateway: boolean;
  metadataRoute: boolean;
  vsock: boolean;
}

export function hostFacts(): HostFacts {
  const v4 = readLines('/proc/net/route')
    .slice(1)
    .some((line) => (line.split(/\s+/)[2] ?? '00000000') !== '00000000');
  const v6 = readLines('/proc/net/ipv6_route').some(
    (line) => (line.split(/\s+/)[4] ?? '0'.repeat(32)) !== '0'.repeat(32),
  );
  const probe = execFileSync(
    '/usr/bin/python3',
    [
      '-c',
      [
        'import socket',
        'def route(a):',
        '    s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_DGRAM)',
        '    try:',
        '        s.connect((a, 9)); return True',
        '    except OSError: return False',
        '    finally: s.close()',
        'print("metadata", any(route(a) for a in ["169.254.169.254", "fd00:ec2::254"]))',
        'try:',
        '    socket.socket(40, socket.SOCK_STREAM).close(); print("vsock True")',
        'except OSError: print("vsock False")',
      ].join('\n'),
    ],
    { encoding: 'utf8' },
  );
  const address = Object.values(networkInterfaces()).some((list) =>
    (list ?? []).some(
      (entry) => !entry.internal && !entry.address.toLowerCase().startsWith('fe80'),
    ),
  );
  return {
    address,
    gateway: v4 || v6,
    metadataRoute: probe.includes('metadata True'),
    vsock: probe.includes('vsock True'),
  };
}

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
