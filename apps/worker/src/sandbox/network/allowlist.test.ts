import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { detectCgroupVersion, TaskCgroup, type CgroupVersion } from '../cgroup.js';
import type { ExecutionRequest } from '../engine.js';
import { runThrough } from '../engine-contract.js';
import { destroyLeftovers } from '../recovery.js';
import { SandboxEngine } from '../sandbox-engine.js';
import { runTool } from '../run-tool.js';
import { networkNames, networkTag } from './names.js';
import { hostTable, namespaceTable } from './nft-rules.js';
import { SlotAllocator, slotAddresses } from './slots.js';
import { TaskNetwork } from './task-network.js';
import { PORTS, TestDestination } from './test-destination.js';
import { allowlist, networkLeftovers, probe as probeIn } from './test-probe.js';

const PREFIX = `bulwark-nettest${process.pid}`;
const TAG = networkTag(PREFIX);
let version: CgroupVersion;
let engine: SandboxEngine;
let scratch: string;
let destination: TestDestination;
/** A listener of the worker host's own, on every address: no task may reach it. */
let hostService: Server;
let hostPort: number;

before(async () => {
  version = await detectCgroupVersion();
  engine = new SandboxEngine({ cgroupVersion: version, prefix: PREFIX, uid: 61000, gid: 61000 });
  scratch = await mkdtemp(join(tmpdir(), 'bulwark-net-test-'));
  await chmod(scratch, 0o711);
  destination = await TestDestination.create(process.pid % 100000);
  hostService = createServer((s) => s.end('host-service'));
  await new Promise<void>((resolve) => hostService.listen(0, '0.0.0.0', resolve));
  const address = hostService.address();
  hostPort = typeof address === 'object' && address ? address.port : 0;
});

after(async () => {
  hostService?.close();
  await destination?.close();
  for (const prefix of [PREFIX, `${PREFIX}-ahead`]) {
    await destroyLeftovers({ prefix, cgroupVersion: version, taskDirParents: [] });
  }
  await rm(scratch, { recursive: true, force: true });
});

const leftovers = (): Promise<string[]> => networkLeftovers(TAG);
const probe = (targets: string[], overrides: Partial<ExecutionRequest>) =>
  probeIn(engine, scratch, targets, overrides);

function fetchFromHost(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: 3000 });
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    socket.on('timeout', () => reject(new Error('timeout')));
  });
}

test('S7: without network.allow a task has no route anywhere, its allowed destination included', async () => {
  const r = await probe([`${destination.address}:${PORTS.allowed}`], {});
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.seen.get(`${destination.address}:${PORTS.allowed}`) ?? '', /^refused-101$/);
});

test('S7: an allowed destination works; its other ports, the host and a metadata address do not', async () => {
  // The metadata-style address is really served: the host itself reaches it.
  assert.equal(await fetchFromHost(destination.metadataAddress, PORTS.metadata), 'metadata');
  assert.equal(await fetchFromHost(destination.hostAddress, hostPort), 'host-service');
  const targets = [
    `${destination.address}:${PORTS.allowed}`,
    `${destination.address}:${PORTS.unlisted}`,
    `${destination.metadataAddress}:${PORTS.metadata}`,
    `gateway:${hostPort}`,
    `${destination.hostAddress}:${hostPort}`,
  ];
  const r = await probe(targets, allowlist([destination.address, PORTS.allowed]));
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.seen.get(targets[0] as string), 'allowed');
  for (const target of targets.slice(1)) {
    assert.match(r.seen.get(target) ?? 'missing', /^refused-/, `${target} must be refused`);
  }
  await engine.networksRemoved();
  assert.deepEqual(await leftovers(), [], 'the task network is gone with the task');
});

test('S7, S9: destinations that must never be opened are refused before the task runs', async () => {
  for (const [host, port, why] of [
    [destination.metadataAddress, PORTS.metadata, /link-local/],
    ['127.0.0.1', hostPort, /loopback/],
    [destination.hostAddress, hostPort, /address of this worker host/],
    ['::1', 80, /IPv6/],
    // S7: read by the C resolver as octal, hex or one number (8.250.0.2, 127.0.0.1).
    ['010.250.000.002', 80, /not a canonical IPv4 address/],
    ['0x7f.0.0.1', 80, /not a canonical IPv4 address/],
    ['2130706433', 80, /not a canonical IPv4 address/],
    ['127.1', 80, /not a canonical IPv4 address/],
  ] as const) {
    const r = await runThrough(engine, scratch, [['/bin/true']], allowlist([host, port]));
    assert.equal(r.outcome, 'failed-to-start', `${host}:${port}`);
    assert.match(r.message ?? '', why);
  }
});

test('S6: a daemon sending UDP through an allowed destination is silent after the task ends', async () => {
  const taskDir = await mkdtemp(join(scratch, 'task-'));
  const target = `${destination.address}:${PORTS.udp}`;
  await writeFile(
    join(taskDir, 'beacon.py'),
    [
      'import socket, time',
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      'for i in range(2000):',
      `    s.sendto(b"x", ("${destination.address}", ${PORTS.udp}))`,
      '    time.sleep(0.02)',
    ].join('\n'),
  );
  const beacon = '/usr/bin/python3 beacon.py';
  const before = destination.udpPackets;
  const r = await runThrough(
    engine,
    scratch,
    [
      [
        '/bin/sh',
        '-c',
        `setsid ${beacon} >/dev/null 2>&1 & nohup ${beacon} >/dev/null 2>&1 & (sh -c "${beacon} &" &); sleep 0.5; echo started`,
      ],
    ],
    { taskDir, ...allowlist([destination.address, PORTS.udp]) },
  );
  assert.equal(r.exitCode, 0, r.stderr);
  await sleep(200);
  const atEnd = destination.udpPackets;
  assert.ok(atEnd > before, `the daemons reached ${target} while the task ran`);
  await sleep(600);
  assert.equal(destination.udpPackets, atEnd, 'nothing the task started still sends');
});

test("S6: a crashed worker's task networks and cgroups are found and destroyed", async () => {
  // What a worker that died mid-task leaves: a network and a cgroup with a process in it.
  const network = await TaskNetwork.create(TAG, new SlotAllocator(TAG), 'nft');
  const cgroup = await TaskCgroup.create(version, `${PREFIX}-crashed`, {
    memoryMB: 64,
    pids: 8,
    cpus: 1,
  });
  const enter = cgroup.procsFiles.map((file) => `echo $$ > ${file}`).join('; ');
  const sleeper = spawn('/bin/sh', ['-c', `${enter}; exec sleep 60`], { stdio: 'ignore' });
  const sleeperGone = once(sleeper, 'exit');
  await sleep(100);
  assert.ok((await leftovers()).length >= 3);
  assert.equal((await cgroup.pids()).length, 1);
  const taskRoot = await mkdtemp(join(scratch, 'runs-'));
  await mkdtemp(join(taskRoot, 'task-'));
  const found = await destroyLeftovers({
    prefix: PREFIX,
    cgroupVersion: version,
    taskDirParents: [taskRoot],
  });
  assert.deepEqual(found, { cgroups: 1, networks: 1, taskDirs: 1, problems: [] });
  assert.deepEqual(await leftovers(), []);
  assert.equal(existsSync(network.netnsPath), false);
  assert.deepEqual(await TaskCgroup.findLeftovers(version, PREFIX), []);
  assert.deepEqual(await readdir(taskRoot), []);
  await sleeperGone;
});

test('S7: a network made ahead is closed until its task applies its rules, then serves that task', async () => {
  const prefix = `${PREFIX}-ahead`;
  const tag = networkTag(prefix);
  const ahead = new SandboxEngine({
    cgroupVersion: version,
    prefix,
    uid: 61000,
    gid: 61000,
    network: { prepareAhead: true },
  });
  try {
    await ahead.prepare({ memoryMB: 256, pids: 64, cpus: 1 });
    const made = await networkLeftovers(tag);
    assert.equal(made.length, 3, `a namespace, a veth and a table: ${made.join(' ')}`);
    const veth = made.find(
      (name) => name.startsWith('bw') && !name.includes('-') && !name.includes('_'),
    );
    const netns = made.find((name) => name.startsWith('bw-'));
    // Closed: the host's end does not forward, both tables refuse everything.
    assert.equal(
      (await readFile(`/proc/sys/net/ipv4/conf/${veth}/forwarding`, 'utf8')).trim(),
      '0',
    );
    const inside = await runTool('nsenter', [
      `--net=/run/netns/${netns}`,
      '--',
      'nft',
      'list',
      'ruleset',
    ]);
    assert.equal(inside, namespaceTable([]));
    const table = made.find((name) => name.startsWith('bw_')) ?? '';
    const slot = Number(/(\d+)$/.exec(table)?.[1]);
    assert.equal(
      await runTool('nft', ['list', 'table', 'inet', table]),
      hostTable(networkNames(tag, slot), slotAddresses(slot), []),
    );
    const allowed = `${destination.address}:${PORTS.allowed}`;
    const unlisted = `${destination.address}:${PORTS.unlisted}`;
    const gateway = JSON.parse(await runTool('ip', ['-j', 'addr', 'show', 'dev', veth ?? '']))[0]
      .addr_info[0].local as string;
    const r = await probeIn(
      ahead,
      scratch,
      ['gateway?', allowed, unlisted],
      allowlist([destination.address, PORTS.allowed]),
    );
    assert.equal(r.seen.get('gateway?'), gateway, 'the task ran in the network made ahead');
    assert.equal(r.seen.get(allowed), 'allowed', JSON.stringify(r));
    assert.match(r.seen.get(unlisted) ?? '', /^refused-/);
  } finally {
    await ahead.close();
  }
  assert.deepEqual(await networkLeftovers(tag), []);
});
