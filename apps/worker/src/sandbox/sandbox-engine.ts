import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { chmod, chown } from 'node:fs/promises';
import { constants } from 'node:os';
import { dirname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { bwrapArguments, FD, launcherArguments } from './bwrap-command.js';
import { TaskCgroup, type CgroupVersion } from './cgroup.js';
import type { ExecutionRequest, ExecutionResult, Executor } from './engine.js';
import {
  DestinationRefused,
  hostsFile,
  resolveDestinations,
  type ResolvedDestination,
} from './network/destinations.js';
import { networkTag } from './network/names.js';
import { SlotAllocator } from './network/slots.js';
import { TaskNetwork } from './network/task-network.js';
import { seccompFilterBytes } from './seccomp-filter.js';

export interface SandboxEngineOptions {
  cgroupVersion: CgroupVersion;
  /** Where the cgroup hierarchies are mounted; `/sys/fs/cgroup` unless given. */
  cgroupRoot?: string;
  /** Names this worker's cgroups and network objects, so a restart finds what a crash left. */
  prefix: string;
  /** The unprivileged user and group tasks run as. */
  uid: number;
  gid: number;
}

const FORWARDER = fileURLToPath(new URL('./forwarder.js', import.meta.url));

/** One command's end, as the launcher chain reported it. */
interface CommandEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
  joined: boolean;
}

/**
 * The default engine: each command in bubblewrap (all namespaces, no capabilities,
 * seccomp), as an unprivileged user, inside a per-task cgroup it joins before its
 * first instruction, with no network or, in allowlist mode, a namespace of its own
 * behind a per-task firewall. At the end the whole cgroup is killed and removed and
 * the network torn down, so nothing the task started survives it (S6).
 */
export class SandboxEngine implements Executor {
  readonly name = 'sandbox';
  /** The compiled filter, written to each sandbox's descriptor (bubblewrap reads to EOF). */
  private readonly seccompFilter = seccompFilterBytes();
  private readonly networkTag: string;
  private readonly slots: SlotAllocator;

  constructor(private readonly options: SandboxEngineOptions) {
    this.networkTag = networkTag(options.prefix);
    this.slots = new SlotAllocator(this.networkTag);
  }

  async run(request: ExecutionRequest): Promise<ExecutionResult> {
    // Fail closed (S9): a control that cannot be applied means the task does not run.
    let destinations: ResolvedDestination[] = [];
    if (request.network.mode === 'allowlist') {
      try {
        destinations = await resolveDestinations(request.network.allow);
      } catch (err) {
        if (err instanceof DestinationRefused) return failedToStart(`network.allow ${err.message}`);
        throw err;
      }
    }
    // The task's files and its proxy belong to the sandbox user alone: other users of
    // the worker host can pass through the run directory (0711) but not into these.
    await chown(request.taskDir, this.options.uid, this.options.gid);
    await chmod(request.taskDir, 0o700);
    if (request.proxySocket !== undefined) {
      const proxyDir = dirname(request.proxySocket);
      await chown(proxyDir, this.options.uid, this.options.gid);
      await chmod(proxyDir, 0o700);
      await chown(request.proxySocket, this.options.uid, this.options.gid);
      await chmod(request.proxySocket, 0o600);
    }
    const name = `${this.options.prefix}-${randomBytes(6).toString('hex')}`;
    let cgroup: TaskCgroup;
    try {
      cgroup = await TaskCgroup.create(
        this.options.cgroupVersion,
        name,
        request.resources,
        this.options.cgroupRoot,
      );
    } catch (err) {
      return failedToStart(`the task's cgroup could not be created: ${(err as Error).message}`);
    }
    let network: TaskNetwork | undefined;
    try {
      if (request.network.mode === 'allowlist') {
        try {
          network = await TaskNetwork.create(this.networkTag, this.slots, destinations);
        } catch (err) {
          return failedToStart(`the task's network could not be set up: ${(err as Error).message}`);
        }
      }
      const deadline = Date.now() + request.maxRunTime * 1000;
      const hosts = hostsFile(destinations);
      let last: ExecutionResult = { outcome: 'exited', exitCode: 0, insecure: false };
      for (const argv of request.commands) {
        last = await this.runCommand(argv, request, { cgroup, network, hosts, deadline });
        if (last.outcome !== 'exited' || last.exitCode !== 0) break;
      }
      return last;
    } finally {
      await cgroup.destroy();
      await network?.destroy();
    }
  }

  private async runCommand(
    argv: string[],
    request: ExecutionRequest,
    task: { cgroup: TaskCgroup; network: TaskNetwork | undefined; hosts: string; deadline: number },
  ): Promise<ExecutionResult> {
    const { cgroup } = task;
    const bwrap = bwrapArguments({
      taskDir: request.taskDir,
      env: request.env,
      proxySocket: request.proxySocket,
      shareNet: task.network !== undefined,
      argv,
    });
    const launcher = launcherArguments({
      procsFiles: cgroup.procsFiles,
      netnsPath: task.network?.netnsPath,
      uid: this.options.uid,
      gid: this.options.gid,
      bwrap,
    });
    // Descriptors at the numbers FD names; the forwarder's slot stays empty without a proxy.
    const forwarderFd = request.proxySocket !== undefined ? openSync(FORWARDER, 'r') : 'ignore';
    const oomKillsBefore = await cgroup.oomKills();
    const child = spawn('/bin/bash', launcher, {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', forwarderFd, 'pipe'],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      cwd: '/',
    });
    if (typeof forwarderFd === 'number') closeSync(forwarderFd);
    // Node types stdio only up to index 4; the launcher's report arrives on FD.joined.
    const stdio = child.stdio as unknown as (Readable | Writable | null)[];
    (stdio[FD.seccomp] as Writable).on('error', () => undefined).end(this.seccompFilter);
    (stdio[FD.hosts] as Writable).on('error', () => undefined).end(task.hosts);
    let joined = false;
    (stdio[FD.joined] as Readable).on('data', () => (joined = true)).on('error', () => {});
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
    const end = await new Promise<CommandEnd>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error, joined }));
      child.once('close', (code, signal) => resolve({ code, signal, joined }));
    });
    clearTimeout(timer);
    request.signal.removeEventListener('abort', onAbort);
    await cgroup.killAll();
    return this.judge(end, request, stoppedFor, (await cgroup.oomKills()) - oomKillsBefore, cgroup);
  }

  private async judge(
    end: CommandEnd,
    request: ExecutionRequest,
    stoppedFor: 'timeout' | 'aborted' | undefined,
    oomKills: number,
    cgroup: TaskCgroup,
  ): Promise<ExecutionResult> {
    if (end.error) return failedToStart(`could not start the sandbox: ${end.error.message}`);
    const signal = end.signal ?? signalOfExitCode(end.code);
    const exit = { exitCode: end.code, ...(signal ? { signal } : {}), insecure: false };
    if (stoppedFor === 'timeout') {
      return {
        outcome: 'timeout',
        ...exit,
        message: `the task ran longer than its maxRunTime of ${request.maxRunTime} seconds and was stopped`,
      };
    }
    if (stoppedFor === 'aborted') {
      return { outcome: 'aborted', ...exit, message: 'the task was stopped by the worker' };
    }
    if (!end.joined) {
      return failedToStart('the task could not be placed in its cgroup, so it was not started');
    }
    const limit = `its limit of ${request.resources.memoryMB} MB`;
    if (oomKills > 0 && end.code !== 0) {
      return {
        outcome: 'oom',
        ...exit,
        message: `the task ran out of memory: it used more than ${limit} and the kernel killed it`,
      };
    }
    const notes: string[] = [];
    if (oomKills > 0) {
      notes.push(
        `a process of the task used more than ${limit} and the kernel killed it; the task carried on`,
      );
    }
    if (await cgroup.pidsLimitHit()) {
      notes.push(
        `the task tried to run more than its limit of ${request.resources.pids} processes; those forks failed`,
      );
    }
    return { outcome: 'exited', ...exit, ...(notes.length ? { message: notes.join('; ') } : {}) };
  }
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
