import { chmodSync, chownSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ResourceLimits } from '../payload/payload.js';
import { bwrapInvocation, chainArguments, type WeakenedForTests } from './bwrap-command.js';
import { TaskCgroup, type CgroupVersion } from './cgroup.js';
import type { ExecutionRequest, ExecutionResult, Executor } from './engine.js';
import {
  DestinationRefused,
  hostsFile,
  resolveDestinations,
  routeRefusal,
  type ResolvedDestination,
} from './network/destinations.js';
import { networkTag } from './network/names.js';
import { NetworkAhead } from './network/network-ahead.js';
import { DEFAULT_CHECK_INTERVAL_MS, type NetworkOptions } from './network/network-options.js';
import { PolicyWatch } from './network/policy-watch.js';
import { SlotAllocator } from './network/slots.js';
import { TaskNetwork } from './network/task-network.js';
import { forwarder, Launcher, NulInArgument, type LauncherEnd } from './launcher.js';
import { seccompFilterBytes } from './seccomp-filter.js';
import type { TaskDisks } from './disk-quota/task-disks.js';
import { withDiskVerdict, type TaskDisk } from './disk-quota/task-disk.js';
import { StartAhead, type PreparedStart } from './start-ahead.js';

export interface SandboxEngineOptions {
  cgroupVersion: CgroupVersion;
  /** Where the cgroup hierarchies are mounted; `/sys/fs/cgroup` unless given. */
  cgroupRoot?: string;
  /** Names this worker's cgroups and network objects, so a restart finds what a crash left. */
  prefix: string;
  /** The unprivileged user and group tasks run as. */
  uid: number;
  gid: number;
  /**
   * Where task directories get their disk and inode limits (S19); the worker always
   * gives it (and its self-test proves it), tests of other controls may leave it out.
   * Closed with the engine.
   */
  disk?: TaskDisks;
  /** Allowlist networks: made ahead or not, how often checked, and the tools. */
  network?: NetworkOptions;
  /**
   * Test-only: single controls switched off, for the exercise's weakened targets. No
   * production code sets it (the worker's configuration cannot), and every task log
   * it affects starts with a warning naming what is off, so it never applies silently.
   */
  weakenedForTests?: WeakenedForTests;
}

/**
 * The default engine: each command in bubblewrap (all namespaces, no capabilities,
 * seccomp), as an unprivileged user, inside a per-task cgroup it joins before its
 * first instruction, with no network or, in allowlist mode, a namespace of its own
 * behind a per-task firewall. At the end the whole cgroup is killed and removed and
 * the network torn down, so nothing the task started survives it (S6).
 *
 * While the worker waits for work, prepare() makes the next task's cgroup, with its
 * limits, and starts the launcher in it (StartAhead): the task then skips the slowest
 * part of its start, and is still in its own cgroup before its first instruction.
 */
export class SandboxEngine implements Executor {
  readonly name = 'sandbox';
  /** The compiled filter, written to each sandbox's descriptor (bubblewrap reads to EOF). */
  private readonly seccompFilter = seccompFilterBytes();
  private readonly networkTag: string;
  private readonly slots: SlotAllocator;
  private readonly networks: NetworkAhead;
  private readonly ahead = new StartAhead((resources) => this.prepareStart(resources));
  /**
   * The limits of the last task since the worker first asked for a prepared start (not
   * those of the self-test before it): the next task most likely asks for the same.
   */
  private lastResources: ResourceLimits | undefined;
  private preparing = false;

  constructor(private readonly options: SandboxEngineOptions) {
    this.networkTag = networkTag(options.prefix);
    this.slots = new SlotAllocator(this.networkTag, options.network?.slots);
    this.networks = new NetworkAhead(() => this.createNetwork());
  }

  /** Test-only: what is switched off (the daemon labels each task log it affects). */
  get weakenedForTests(): WeakenedForTests | undefined {
    return this.options.weakenedForTests;
  }

  /**
   * Makes the next task's cgroup and puts a launcher in it while the worker waits for
   * work, with the limits of the last task (or `expected`, before the first).
   */
  async prepare(expected: ResourceLimits): Promise<void> {
    this.preparing = true;
    await Promise.all([
      this.ahead.prepare(this.lastResources ?? expected),
      this.options.network?.prepareAhead ? this.networks.prepare() : this.networks.settled(),
    ]);
  }

  /** Removes what prepare() made and no task used, waits for every network's removal, and unmounts the task disk. */
  async close(): Promise<void> {
    await Promise.all([this.ahead.close(), this.networks.close()]);
    await this.options.disk?.close();
  }

  /** Resolves once the networks of finished tasks are removed (run() returns before that). */
  networksRemoved(): Promise<void> {
    return this.networks.settled();
  }

  async run(request: ExecutionRequest): Promise<ExecutionResult> {
    if (this.preparing) this.lastResources = request.resources;
    // Fail closed (S9): a control that cannot be applied means the task does not run.
    let destinations: ResolvedDestination[] = [];
    let routesRefused: Promise<string | undefined> = Promise.resolve(undefined);
    if (request.network.mode === 'allowlist') {
      try {
        destinations = await resolveDestinations(
          request.network.allow,
          this.options.network?.resolveName,
        );
      } catch (err) {
        if (err instanceof DestinationRefused) return failedToStart(`network.allow ${err.message}`);
        throw err;
      }
      // Looked up while the network is readied; the task starts only after both.
      routesRefused = routeRefusal(destinations);
    }
    let disk: TaskDisk | undefined;
    try {
      disk = await this.options.disk?.place(request.taskDir, request.resources.diskMB);
    } catch (err) {
      return failedToStart(`the task's disk quota could not be set: ${(err as Error).message}`);
    }
    this.handOver(request);
    const prepared = await this.ahead.take(request.resources);
    let cgroup: TaskCgroup;
    try {
      cgroup = prepared?.cgroup ?? (await this.createCgroup(request.resources));
    } catch (err) {
      return failedToStart(`the task's cgroup could not be created: ${(err as Error).message}`);
    }
    let network: TaskNetwork | undefined;
    let watch: PolicyWatch | undefined;
    try {
      if (request.network.mode === 'allowlist') {
        try {
          network = (await this.networks.take()) ?? (await this.createNetwork());
          await network.apply(destinations);
        } catch (err) {
          return failedToStart(`the task's network could not be set up: ${(err as Error).message}`);
        }
        const refused = await routesRefused;
        if (refused !== undefined) return failedToStart(`network.allow ${refused}`);
        const checkEvery = this.options.network?.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS;
        const watched = network;
        watch = new PolicyWatch(() => watched.policyProblem(), checkEvery);
      }
      // A policy found missing stops the task as an abort does (S9).
      const signal = watch ? AbortSignal.any([request.signal, watch.signal]) : request.signal;
      const deadline = Date.now() + request.maxRunTime * 1000;
      const hosts = hostsFile(destinations);
      let last: ExecutionResult = { outcome: 'exited', exitCode: 0, insecure: false };
      // The prepared launcher runs the first command; later ones join the cgroup afresh.
      let first = true;
      for (const argv of request.commands) {
        const task = { cgroup, network, hosts, deadline, first };
        last = await this.runCommand(
          argv,
          { ...request, signal },
          task,
          first ? prepared : undefined,
        );
        first = false;
        if (last.outcome !== 'exited' || last.exitCode !== 0) break;
      }
      if (watch?.problem !== undefined) return { ...last, ...networkLost(watch.problem) };
      return withDiskVerdict(last, disk);
    } finally {
      watch?.stop();
      prepared?.launcher.abandon();
      try {
        await cgroup.destroy();
      } finally {
        // Every process of the task is dead: its network goes off the task's path.
        if (network !== undefined) this.networks.retire(network);
      }
    }
  }

  private createNetwork(): Promise<TaskNetwork> {
    const nft = this.options.network?.nft ?? 'nft';
    return TaskNetwork.create(this.networkTag, this.slots, nft);
  }

  /**
   * The task's files and its proxy belong to the sandbox user alone (0700, 0600). The
   * directory holding the task directory (the run directory) stays the worker's, and
   * is opened to the sandbox user's group for traversal only (0710): the sandbox user
   * must pass through it to reach its task directory, and no other user of the host
   * may even do that (S11). The directories above it are the worker's (prepareDataDir).
   * Synchronous: each call takes microseconds on the worker's own disk, where an
   * asynchronous one waits for a thread of the pool, about 0.3 ms each on a busy host,
   * all of it before the task can start.
   */
  private handOver(request: ExecutionRequest): void {
    const { uid, gid } = this.options;
    const own = (path: string, mode: number): void => {
      chownSync(path, uid, gid);
      chmodSync(path, mode);
    };
    const runDir = dirname(request.taskDir);
    chownSync(runDir, -1, gid);
    chmodSync(runDir, 0o710);
    own(request.taskDir, 0o700);
    if (request.proxySocket !== undefined) {
      own(dirname(request.proxySocket), 0o700);
      own(request.proxySocket, 0o600);
    }
  }

  private createCgroup(resources: ResourceLimits): Promise<TaskCgroup> {
    const name = `${this.options.prefix}-${randomBytes(6).toString('hex')}`;
    return TaskCgroup.create(this.options.cgroupVersion, name, resources, this.options.cgroupRoot);
  }

  /** A cgroup with these limits and a launcher already in it, waiting for its task. */
  private async prepareStart(resources: ResourceLimits): Promise<PreparedStart> {
    const cgroup = await this.createCgroup(resources);
    try {
      const oomKillsBefore = await cgroup.oomKills();
      const launcher = Launcher.ahead(cgroup.procsFiles);
      if (!(await launcher.joined)) throw new Error('the launcher could not enter the cgroup');
      return { cgroup, launcher, resources, oomKillsBefore };
    } catch (err) {
      await cgroup.destroy();
      throw err;
    }
  }

  private async runCommand(
    argv: string[],
    request: ExecutionRequest,
    task: {
      cgroup: TaskCgroup;
      network: TaskNetwork | undefined;
      hosts: string;
      deadline: number;
      first: boolean;
    },
    prepared: PreparedStart | undefined,
  ): Promise<ExecutionResult> {
    const { cgroup } = task;
    // bubblewrap's options, the environment among them, go through a descriptor: no
    // value of the task is ever on a command line (S1).
    const bwrap = bwrapInvocation({
      taskDir: request.taskDir,
      env: request.env,
      proxySocket: request.proxySocket,
      shareNet: task.network !== undefined,
      argv,
      weakened: this.options.weakenedForTests,
    });
    const chain = chainArguments({
      netnsPath: task.network?.netnsPath,
      uid: this.options.uid,
      gid: this.options.gid,
      bwrap: bwrap.commandLine,
    });
    const inputs = {
      bwrapOptions: bwrap.options,
      seccomp: this.seccompFilter,
      hosts: task.hosts,
      forwarder: request.proxySocket !== undefined ? forwarder() : undefined,
    };
    const oomKillsBefore = prepared?.oomKillsBefore ?? (await cgroup.oomKills());
    // A prepared launcher that is gone (killed meanwhile) is replaced by a fresh one.
    const ready = prepared?.launcher.waiting === true ? prepared.launcher : undefined;
    let launcher: Launcher;
    try {
      ready?.go(chain, inputs);
      launcher = ready ?? Launcher.start(cgroup.procsFiles, chain, inputs);
    } catch (err) {
      if (err instanceof NulInArgument)
        return failedToStart(`the task was not started: ${err.message}`);
      throw err;
    }
    if (task.first) request.onStarted?.({ prepared: ready !== undefined });
    const { child } = launcher;
    child.stdout?.pipe(request.stdout, { end: false });
    child.stderr?.pipe(request.stderr, { end: false });

    let stoppedFor: 'timeout' | 'aborted' | undefined;
    const stop = (why: 'timeout' | 'aborted'): void => {
      stoppedFor ??= why;
      void cgroup.killAll().catch(() => undefined);
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop('timeout'), Math.max(0, task.deadline - Date.now()));
    const onAbort = (): void => stop('aborted');
    request.signal.addEventListener('abort', onAbort, { once: true });
    if (request.signal.aborted) onAbort();
    const end = await launcher.ended;
    clearTimeout(timer);
    request.signal.removeEventListener('abort', onAbort);
    await cgroup.killAll();
    return this.judge(end, request, stoppedFor, (await cgroup.oomKills()) - oomKillsBefore, cgroup);
  }

  /**
   * The command's outcome. A process of the task killed for the memory limit fails
   * the task even when the script carried on and exited 0 (as Kubernetes does with
   * memory.oom.group): its result was computed without that process. Limit events (an
   * OOM kill, forks refused for the pids limit) are named on every outcome, a stop
   * for maxRunTime or by the worker included, so the log says what the task ran into.
   */
  private async judge(
    end: LauncherEnd,
    request: ExecutionRequest,
    stoppedFor: 'timeout' | 'aborted' | undefined,
    oomKills: number,
    cgroup: TaskCgroup,
  ): Promise<ExecutionResult> {
    if (end.error) return failedToStart(`could not start the sandbox: ${end.error.message}`);
    const signal = end.signal ?? signalOfExitCode(end.code);
    const exit = { exitCode: end.code, ...(signal ? { signal } : {}), insecure: false };
    const limit = `its limit of ${request.resources.memoryMB} MB`;
    const events: string[] = [];
    if (oomKills > 0) {
      events.push(`a process of the task used more than ${limit} and the kernel killed it`);
    }
    if (await cgroup.pidsLimitHit()) {
      events.push(
        `the task tried to run more than its limit of ${request.resources.pids} processes; those forks failed`,
      );
    }
    const told = (first: string): string => [first, ...events].join('; ');
    if (stoppedFor === 'timeout') {
      return {
        outcome: 'timeout',
        ...exit,
        message: told(
          `the task ran longer than its maxRunTime of ${request.maxRunTime} seconds and was stopped`,
        ),
      };
    }
    if (stoppedFor === 'aborted') {
      return { outcome: 'aborted', ...exit, message: told('the task was stopped by the worker') };
    }
    if (!end.joined) {
      return failedToStart('the task could not be placed in its cgroup, so it was not started');
    }
    if (oomKills > 0) {
      return {
        outcome: 'oom',
        ...exit,
        message: [
          `the task ran out of memory: it used more than ${limit}, and the kernel killed ${
            oomKills === 1 ? 'a process of it' : `${oomKills} of its processes`
          }`,
          ...events.slice(1),
        ].join('; '),
      };
    }
    return { outcome: 'exited', ...exit, ...(events.length ? { message: events.join('; ') } : {}) };
  }
}

/** A task stopped because its network policy was found missing or changed while it ran. */
function networkLost(problem: string): Pick<ExecutionResult, 'outcome' | 'message'> {
  return {
    outcome: 'aborted',
    message: `the task's network policy was found missing or changed while it ran (${problem}), so the task was stopped`,
  };
}

function failedToStart(message: string): ExecutionResult {
  return { outcome: 'failed-to-start', exitCode: null, message, insecure: false };
}

/** bubblewrap's init reports a command killed by signal N as exit status 128 + N. */
function signalOfExitCode(code: number | null): NodeJS.Signals | undefined {
  if (code === null || code <= 128) return undefined;
  const number = code - 128;
  return (Object.keys(constants.signals) as NodeJS.Signals[]).find(
    (name) => constants.signals[name] === number,
  );
}
