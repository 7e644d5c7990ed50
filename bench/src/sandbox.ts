/**
 * bench/sandbox: what the sandbox costs per task.
 *
 * The median wall time of `true` through the whole sandbox engine (cgroup created and
 * joined, the task directory made a subvolume with its disk quota, setpriv, bubblewrap
 * with every namespace, seccomp, teardown that kills the cgroup and removes it, and the
 * task directory's removal), next to a bare spawn of the same command from the same
 * process in the same run, interleaved. Target: overhead under 25 ms. The same engine
 * without the disk quota, interleaved too, shows what the quota adds. Then the same in
 * allowlist mode, where each task also gets a network namespace, a veth pair and an
 * nftables table, created and destroyed around it. And the same `true` with its start

 * prepared ahead (cgroup made and entered before the run is timed), as the worker
 * does while it waits for work. Then the same in allowlist mode, listing one
 * destination (served from a namespace of the bench's own): each task also gets a
 * network namespace, a veth pair, a firewall in that namespace and one in the host's,
 * both read back, and a route. Once made when the task comes, and once made ahead, as
 * a worker whose pool permits destinations does: the task then only applies its rules
 * and its route. Either way the network is torn down after run() has returned the
 * task's result; the bench waits for that outside the timed run, as the worker does it
 * while it waits for work. Target: the network adds under 40 ms to a prepared start.
 * Needs root (namespaces, cgroups) and bubblewrap.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  destroyLeftovers,
  detectCgroupVersion,
  PROBE_PORTS,
  ProbeDestination,
  SandboxEngine,
  TaskDisks,
  type NetworkPolicy,
} from '@bulwark/worker';
import { percentile } from './stats.js';

const NONE: NetworkPolicy = { mode: 'none' };

const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const LIMITS = { memoryMB: 256, pids: 64, cpus: 1, diskMB: 64 };
const PREFIX = `bulwark-bench${process.pid}`;

function bareSpawn(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/true', [], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('close', () => resolve());
  });
}

async function main(): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'bulwark-bench-sandbox-'));
  await chmod(scratch, 0o711);
  const version = await detectCgroupVersion();
  // Each task directory a subvolume with its own disk quota (S19), as a worker's are.
  const disk = await TaskDisks.open({
    image: join(scratch, 'disk', 'tasks.img'),
    mountPoint: join(scratch, 'runs'),
    sizeMB: 1024,
    expectedDiskMB: LIMITS.diskMB,
    passGroup: 61000,
  });
  const engine = new SandboxEngine({
    cgroupVersion: version,
    prefix: PREFIX,
    uid: 61000,
    gid: 61000,
    disk,
  });
  // The same engine without the disk quota, task directories on the host's disk: what
  // the quota adds, measured in the same run.
  const withoutQuota = new SandboxEngine({
    cgroupVersion: version,
    prefix: PREFIX,
    uid: 61000,
    gid: 61000,
  });
  /** A worker whose pool permits destinations: it keeps a task network ready. */
  const networkAhead = new SandboxEngine({
    cgroupVersion: version,
    prefix: `${PREFIX}-n`,
    uid: 61000,
    gid: 61000,
    network: { prepareAhead: true },
  });
  const destination = await ProbeDestination.create(process.pid.toString(16).slice(-6));
  /** One listed destination: the task's network, its firewalls and its route. */
  const VETH: NetworkPolicy = {
    mode: 'allowlist',
    allow: [{ host: destination.address, port: PROBE_PORTS.listed }],
  };
  const sandboxed = async (network: NetworkPolicy, through = engine): Promise<void> => {
    // Only the engine with the task disk makes task directories on it.
    const taskDir = await mkdtemp(join(through === engine ? disk.mountPoint : scratch, 't-'));
    const result = await through.run({
      commands: [['/usr/bin/true']],
      env: {},
      taskDir,
      resources: LIMITS,
      maxRunTime: 30,
      network,
      proxySocket: undefined,
      stdout: new PassThrough().resume(),
      stderr: new PassThrough().resume(),
      signal: new AbortController().signal,
    });
    if (result.outcome !== 'exited' || result.exitCode !== 0)
      throw new Error(`sandbox run failed: ${JSON.stringify(result)}`);
    await rm(taskDir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 10; i++) {
      await bareSpawn();
      await sandboxed(NONE);
      await sandboxed(VETH);
      await networkAhead.prepare(LIMITS);
      await sandboxed(VETH, networkAhead);
    }
    const bare: number[] = [];
    const full: number[] = [];
    const veth: number[] = [];
    const prepared: number[] = [];
    const noQuota: number[] = [];
    const vethAhead: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let start = performance.now();
      await bareSpawn();
      bare.push(performance.now() - start);
      start = performance.now();
      await sandboxed(NONE);
      full.push(performance.now() - start);
      start = performance.now();
      await sandboxed(NONE, withoutQuota);
      noQuota.push(performance.now() - start);
      await engine.prepare(LIMITS);
      start = performance.now();
      await sandboxed(NONE);
      prepared.push(performance.now() - start);
      if (i % 4 === 0) {
        // Fewer of these: veth pairs cost the kernel tens of milliseconds each.
        await engine.networksRemoved();
        start = performance.now();
        await sandboxed(VETH);
        veth.push(performance.now() - start);
        // The worker's way: the network made (and the last one removed) while it waits.
        await networkAhead.prepare(LIMITS);
        start = performance.now();
        await sandboxed(VETH, networkAhead);
        vethAhead.push(performance.now() - start);
      }
    }
    const b = percentile(bare, 50);
    const f = percentile(full, 50);
    console.log(`cgroups v${version}; ${RUNS} interleaved runs of each`);
    console.log(
      `baseline  bare spawn of /usr/bin/true:            median ${b.toFixed(2)} ms, p90 ${percentile(bare, 90).toFixed(2)} ms`,
    );
    console.log(
      `measured  the same through the sandbox engine:   median ${f.toFixed(2)} ms, p90 ${percentile(full, 90).toFixed(2)} ms`,
    );
    console.log(
      `overhead  ${(f - b).toFixed(2)} ms per task (target < 25 ms); ratio ${(f / b).toFixed(1)}x`,
    );
    const q = percentile(noQuota, 50);
    console.log(
      `no quota  the same without the disk quota:       median ${q.toFixed(2)} ms, p90 ${percentile(noQuota, 90).toFixed(2)} ms; the quota adds ${(f - q).toFixed(2)} ms`,
    );
    const p = percentile(prepared, 50);
    console.log(
      `prepared  the same, its start prepared ahead:    median ${p.toFixed(2)} ms, p90 ${percentile(prepared, 90).toFixed(2)} ms; overhead ${(p - b).toFixed(2)} ms`,
    );
    const v = percentile(veth, 50);
    console.log(
      `allowlist the same, its network made at the task (${veth.length} runs): median ${v.toFixed(2)} ms, p90 ${percentile(veth, 90).toFixed(2)} ms; the network adds ${(v - f).toFixed(2)} ms`,
    );
    const a = percentile(vethAhead, 50);
    console.log(
      `allowlist its network and start made ahead (${vethAhead.length} runs):  median ${a.toFixed(2)} ms, p90 ${percentile(vethAhead, 90).toFixed(2)} ms; the network adds ${(a - p).toFixed(2)} ms to a prepared start (target < 40 ms)`,
    );
  } finally {
    // Closing the engine unmounts its task disk.
    await engine.close();
    await withoutQuota.close();
    await networkAhead.close();
    await destination.close();
    await destroyLeftovers({ prefix: `${PREFIX}-n`, cgroupVersion: version, taskDirParents: [] });
    await destroyLeftovers({ prefix: PREFIX, cgroupVersion: version, taskDirParents: [] });
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
