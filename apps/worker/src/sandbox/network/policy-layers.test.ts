import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { detectCgroupVersion, type CgroupVersion } from '../cgroup.js';
import type { ExecutionResult } from '../engine.js';
import { destroyLeftovers } from '../recovery.js';
import { runTool } from '../run-tool.js';
import { SandboxEngine } from '../sandbox-engine.js';
import { leftoverPatterns, networkTag } from './names.js';
import { NAMESPACE_TABLE } from './nft-rules.js';
import { PORTS, TestDestination } from './test-destination.js';
import { allowlist, CLIENT, networkLeftovers, outcomes, probe } from './test-probe.js';

/**
 * S7, S9: the allowlist holds when one of its layers is taken away while the task runs
 * (the host's table deleted, as an operator's `systemctl restart nftables` does with
 * `flush ruleset`; or the table inside the task's namespace), the worker notices and
 * stops the task, and a broken `nft` never lets a task run unprotected or leaks what
 * was made for it. Only tables, namespaces and veths this test's own engines made are
 * ever deleted, never the host's ruleset.
 */
const PREFIX = `bulwark-layers${process.pid}`;
/** Checks the policy too rarely to interfere: what the layers alone do is measured. */
let unwatched: SandboxEngine;
/** Checks every 200 ms: what the worker does when it finds a layer gone. */
let watched: SandboxEngine;
let version: CgroupVersion;
let scratch: string;
let destination: TestDestination;
let hostService: Server;
let hostPort: number;

before(async () => {
  version = await detectCgroupVersion();
  const options = { cgroupVersion: version, uid: 61000, gid: 61000 };
  unwatched = new SandboxEngine({
    ...options,
    prefix: `${PREFIX}-u`,
    network: { checkIntervalMs: 600_000 },
  });
  watched = new SandboxEngine({
    ...options,
    prefix: `${PREFIX}-w`,
    network: { checkIntervalMs: 200 },
  });
  scratch = await mkdtemp(join(tmpdir(), 'bulwark-layers-test-'));
  await chmod(scratch, 0o711);
  destination = await TestDestination.create(process.pid + 97);
  hostService = createServer((s) => s.end('host-service'));
  await new Promise<void>((resolve) => hostService.listen(0, '0.0.0.0', resolve));
  const address = hostService.address();
  hostPort = typeof address === 'object' && address ? address.port : 0;
});

after(async () => {
  hostService?.close();
  await destination?.close();
  for (const suffix of ['u', 'w', 'fake', 'fail']) {
    await destroyLeftovers({
      prefix: `${PREFIX}-${suffix}`,
      cgroupVersion: version,
      taskDirParents: [],
    });
  }
  await rm(scratch, { recursive: true, force: true });
});

/** The one host table and namespace of a running task of this engine's prefix. */
async function taskObjects(
  prefix: string,
): Promise<{ table: string; netns: string; veth: string }> {
  const patterns = leftoverPatterns(networkTag(prefix));
  const tables = (await runTool('nft', ['list', 'tables']))
    .split('\n')
    .map((line) => line.split(' ').at(-1) ?? '')
    .filter((name) => patterns.table.test(name));
  const namespaces = (await readdir('/run/netns')).filter((n) => patterns.netns.test(n));
  const veths = (await readdir('/sys/class/net')).filter((n) => patterns.hostVeth.test(n));
  assert.equal(tables.length, 1, `one task table of ${prefix}`);
  assert.equal(namespaces.length, 1, `one task namespace of ${prefix}`);
  return { table: tables[0] as string, netns: namespaces[0] as string, veth: veths[0] as string };
}

/**
 * Runs CLIENT in `engine`: the task waits until `attack` (run by the test once the task
 * is up) has done its work, then probes `targets`. With `linger`, it then sleeps a
 * minute, so only the worker can end it before its maxRunTime.
 */
async function runAttacked(
  engine: SandboxEngine,
  prefix: string,
  targets: string[],
  attack: (objects: { table: string; netns: string; veth: string }) => Promise<void>,
  linger = false,
): Promise<ExecutionResult & { seen: Map<string, string> }> {
  const taskDir = await mkdtemp(join(scratch, 'task-'));
  const stdout = new PassThrough();
  let out = '';
  let attacked: Promise<void> | undefined;
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (attacked === undefined && out.includes('waiting\n')) {
      attacked = (async () => {
        await attack(await taskObjects(prefix));
        await writeFile(join(taskDir, 'go'), '');
      })();
    }
  });
  const args = ['--wait', '/task/go', ...targets, ...(linger ? ['--linger'] : [])];
  const result = await engine.run({
    commands: [['/usr/bin/python3', '-c', CLIENT, ...args]],
    env: {},
    taskDir,
    resources: { memoryMB: 256, pids: 64, cpus: 1 },
    maxRunTime: 90,
    proxySocket: undefined,
    stdout,
    stderr: new PassThrough().resume(),
    signal: new AbortController().signal,
    network: { mode: 'allowlist', allow: [{ host: destination.address, port: PORTS.allowed }] },
  });
  assert.ok(attacked !== undefined, `the task came up: ${JSON.stringify(result)} ${out}`);
  await attacked;
  return { ...result, seen: outcomes(out) };
}

const deleteHostTable = async ({ table, veth }: { table: string; veth: string }) => {
  // The hostile condition is real: the host's end forwards, so the host table was a filter.
  assert.equal((await readFile(`/proc/sys/net/ipv4/conf/${veth}/forwarding`, 'utf8')).trim(), '1');
  await runTool('nft', ['delete', 'table', 'inet', table]);
};
const deleteNamespaceTable = async ({ netns }: { netns: string }) => {
  await runTool('nsenter', [
    `--net=/run/netns/${netns}`,
    '--',
    'nft',
    'delete',
    'table',
    'inet',
    NAMESPACE_TABLE,
  ]);
};

test("S7: with its host-side table deleted while it runs, the task's own namespace still refuses the host, other ports and a metadata address", async () => {
  const targets = [
    `${destination.address}:${PORTS.unlisted}`,
    `gateway:${hostPort}`,
    `${destination.hostAddress}:${hostPort}`,
    `${destination.metadataAddress}:${PORTS.metadata}`,
  ];
  const r = await runAttacked(unwatched, `${PREFIX}-u`, targets, deleteHostTable);
  assert.equal(r.outcome, 'exited', r.message);
  for (const target of targets) {
    assert.match(r.seen.get(target) ?? 'missing', /^refused-/, `${target} must be refused`);
  }
});

test("S7: with the table in its namespace deleted while it runs, the host's table and the routes still refuse all but the allowlist", async () => {
  const targets = [
    `${destination.address}:${PORTS.allowed}`,
    `${destination.address}:${PORTS.unlisted}`,
    `gateway:${hostPort}`,
    `${destination.hostAddress}:${hostPort}`,
    `${destination.metadataAddress}:${PORTS.metadata}`,
  ];
  const r = await runAttacked(unwatched, `${PREFIX}-u`, targets, deleteNamespaceTable);
  assert.equal(r.outcome, 'exited', r.message);
  assert.equal(r.seen.get(targets[0] as string), 'allowed');
  for (const target of targets.slice(1)) {
    assert.match(r.seen.get(target) ?? 'missing', /^refused-/, `${target} must be refused`);
  }
});

test('S9: the worker finds a deleted table while the task runs and stops the task, saying why', async () => {
  for (const [attack, where] of [
    [deleteHostTable, "in the host's namespace is missing"],
    [deleteNamespaceTable, "in the task's namespace is missing"],
  ] as const) {
    const r = await runAttacked(watched, `${PREFIX}-w`, [], attack, true);
    assert.equal(r.outcome, 'aborted', JSON.stringify(r));
    assert.match(r.message ?? '', /network policy was found missing or changed while it ran/);
    assert.ok(r.message?.includes(where), r.message);
  }
  await watched.networksRemoved();
  assert.deepEqual(await networkLeftovers(networkTag(`${PREFIX}-w`)), []);
});

/** An `nft` of the test's own, in place of the system's. */
async function fakeNft(name: string, script: string): Promise<string> {
  const path = join(scratch, name);
  await writeFile(path, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return path;
}

test('S9: an nft that reports success but loads nothing refuses the task and leaves nothing behind', async () => {
  const nft = await fakeNft('nft-loads-nothing', 'cat >/dev/null\nexit 0');
  const prefix = `${PREFIX}-fake`;
  const engine = new SandboxEngine({
    cgroupVersion: version,
    prefix,
    uid: 61000,
    gid: 61000,
    network: { nft },
  });
  const taskDir = await mkdtemp(join(scratch, 'task-'));
  const r = await probe(engine, scratch, [`gateway:${hostPort}`], {
    taskDir,
    ...allowlist([destination.address, PORTS.allowed]),
  });
  assert.equal(r.outcome, 'failed-to-start', JSON.stringify(r));
  assert.match(r.message ?? '', /nft reported success, but the firewall table .* is missing/);
  assert.equal(r.stdout, '', 'the task never ran');
  await engine.networksRemoved();
  assert.deepEqual(await networkLeftovers(networkTag(prefix)), []);
});

test('S9, S19: a failing nft, again and again past the number of subnets, leaves every subnet free for later tasks', async () => {
  const failing = join(scratch, 'nft-fails');
  await writeFile(failing, '');
  const nft = await fakeNft(
    'nft-sometimes',
    `if [ -e ${failing} ]; then echo "simulated nft failure" >&2; exit 1; fi\nexec nft "$@"`,
  );
  const prefix = `${PREFIX}-fail`;
  const engine = new SandboxEngine({
    cgroupVersion: version,
    prefix,
    uid: 61000,
    gid: 61000,
    network: { nft, slots: 2 },
  });
  const allowed = `${destination.address}:${PORTS.allowed}`;
  for (let i = 0; i < 5; i++) {
    const r = await probe(
      engine,
      scratch,
      [allowed],
      allowlist([destination.address, PORTS.allowed]),
    );
    assert.equal(r.outcome, 'failed-to-start', `attempt ${i}: ${JSON.stringify(r)}`);
    assert.match(r.message ?? '', /nft could not load the firewall table .*simulated nft failure/);
  }
  await engine.networksRemoved();
  assert.deepEqual(await networkLeftovers(networkTag(prefix)), []);
  await rm(failing);
  for (let i = 0; i < 3; i++) {
    const r = await probe(
      engine,
      scratch,
      [allowed],
      allowlist([destination.address, PORTS.allowed]),
    );
    assert.equal(r.seen.get(allowed), 'allowed', JSON.stringify(r));
  }
  await engine.networksRemoved();
  assert.deepEqual(await networkLeftovers(networkTag(prefix)), []);
  assert.equal(existsSync(failing), false);
});
