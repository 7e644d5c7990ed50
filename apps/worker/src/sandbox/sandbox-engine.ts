import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { chmod, chown } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import type { ExecutionRequest, ExecutionResult, Executor } from '../daemon/executor.js';
import { bwrapArguments, JOIN_CGROUP_SCRIPT } from './bwrap-command.js';
import { TaskCgroup, type CgroupVersion } from './cgroup.js';
import { seccompFilterBytes } from './seccomp-filter.js';

export interface SandboxEngineOptions {
  cgroupVersion: CgroupVersion;
  /** Names this worker's cgroups, so a restart finds what a crash left. */
  prefix: string;
  /** The unprivileged user and group tasks run as. */
  uid: number;
  gid: number;
}

const FORWARDER = fileURLToPath(new URL('./forwarder.js', import.meta.url));

/**
 * The default engine: each command in bubblewrap (all namespaces, no capabilities,
 * seccomp), as an unprivileged user, inside a per-task cgroup it joins before its
 * first instruction. At the end of every command the whole cgroup is killed, so
 * nothing the task started survives it (S6).
 */
export class SandboxEngine implements Executor {
  readonly name = 'sandbox';
  /** The compiled filter, in a private file each spawn opens afresh (its own offset). */
  private readonly seccompFile: string;

  constructor(private readonly options: SandboxEngineOptions) {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-seccomp-'));
    this.seccompFile = join(dir, 'filter.bpf');
    writeFileSync(this.seccompFile, seccompFilterBytes(), { mode: 0o400 });
  }

  async run(request: ExecutionRequest): Promise<ExecutionResult> {
    if (request.networkAllow.length > 0) {
      // Fail closed (S9): never run a task without the network policy it was promised.
      return {
        outcome: 'failed-to-start',
        exitCode: null,
        message: 'this worker cannot yet give tasks network destinations (network.allow)',
        insecure: false,
      };
    }
    await chown(request.taskDir, this.options.uid, this.options.gid);
    if (request.proxySocket !== undefined) {
      // The socket is reachable only through its directory, which only this sandbox binds.
      await chmod(dirname(request.proxySocket), 0o711);
      await chmod(request.proxySocket, 0o666);
    }
    const name = `${this.options.prefix}-${randomBytes(6).toString('hex')}`;
    const cgroup = await TaskCgroup.create(this.options.cgroupVersion, name, request.resources);
    const deadline = Date.now() + request.maxRunTime * 1000;
    try {
      let last: ExecutionResult = { outcome: 'exited', exitCode: 0, insecure: false };
      for (const argv of request.commands) {
        last = await this.runCommand(argv, request, cgroup, deadline);
        if (last.outcome !== 'exited' || last.exitCode !== 0) break;
      }
      return last;
    } finally {
      await cgroup.destroy();
    }
  }

  private async runCommand(
    argv: string[],
    request: ExecutionRequest,
    cgroup: TaskCgroup,
    deadline: number,
  ): Promise<ExecutionResult> {
    const bwrap = bwrapArguments({
      taskDir: request.taskDir,
      env: request.env,
      proxySocket: request.proxySocket,
      argv,
    });
    const setpriv = [
      'setpriv',
      `--reuid=${this.options.uid}`,
      `--regid=${this.options.gid}`,
      '--clear-groups',
      '--inh-caps=-all',
      '--no-new-privs',
      '--',
      'bwrap',
      ...bwrap,
    ];
    // Each spawn gets its own descriptors (the filter is read from its offset 0),
    // placed at stdio[3...] in FD's order: seccomp, then the forwarder script.
    const fds: number[] = [openSync(this.seccompFile, 'r')];
    if (request.proxySocket !== undefined) fds.push(openSync(FORWARDER, 'r'));
    const child = spawn(
      '/bin/sh',
      ['-c', JOIN_CGROUP_SCRIPT, 'join', ...cgroup.procsFiles, '--', ...setpriv],
      {
        stdio: ['ignore', 'pipe', 'pipe', ...fds],
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
        cwd: '/',
      },
    );
    for (const fd of fds) closeSync(fd);
    child.stdout?.pipe(request.output, { end: false });
    child.stderr?.pipe(request.output, { end: false });

    let stoppedFor: 'timeout' | 'aborted' | undefined;
    const stop = (why: 'timeout' | 'aborted'): void => {
      stoppedFor ??= why;
      void cgroup.killAll().catch(() => undefined);
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop('timeout'), Math.max(0, deadline - Date.now()));
    const onAbort = (): void => stop('aborted');
    request.signal.addEventListener('abort', onAbort, { once: true });
    if (request.signal.aborted) onAbort();
    const exit = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
      child.once('error', (error) => resolve({ code: null, error }));
      child.once('close', (code) => resolve({ code }));
    });
    clearTimeout(timer);
    request.signal.removeEventListener('abort', onAbort);
    await cgroup.killAll();

    if (exit.error) {
      return {
        outcome: 'failed-to-start',
        exitCode: null,
        message: `could not start the sandbox: ${exit.error.message}`,
        insecure: false,
      };
    }
    if (stoppedFor === 'timeout') {
      return {
        outcome: 'timeout',
        exitCode: exit.code,
        message: `the task ran longer than its maxRunTime of ${request.maxRunTime} seconds and was stopped`,
        insecure: false,
      };
    }
    if (stoppedFor === 'aborted')
      return { outcome: 'aborted', exitCode: exit.code, insecure: false };
    if (await cgroup.oomKilled()) {
      return {
        outcome: 'oom',
        exitCode: exit.code,
        message: `the task ran out of memory: it used more than its limit of ${request.resources.memoryMB} MB and the kernel killed it`,
        insecure: false,
      };
    }
    if (exit.code === 125) {
      return {
        outcome: 'failed-to-start',
        exitCode: null,
        message: 'the task could not be placed in its cgroup',
        insecure: false,
      };
    }
    const result: ExecutionResult = { outcome: 'exited', exitCode: exit.code, insecure: false };
    if (await cgroup.pidsLimitHit()) {
      result.message = `the task tried to run more than its limit of ${request.resources.pids} processes; those forks failed`;
    }
    return result;
  }
}
