import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { FD, launcherArguments } from './bwrap-command.js';

const FORWARDER = fileURLToPath(new URL('./forwarder.js', import.meta.url));
let forwarderSource: Buffer | undefined;

/** The proxy forwarder's source, read once: bubblewrap copies it into each sandbox that needs it. */
export function forwarder(): Buffer {
  forwarderSource ??= readFileSync(FORWARDER);
  return forwarderSource;
}

/** What bubblewrap reads from the launcher's descriptors, besides its arguments. */
export interface LaunchInputs {
  seccomp: Buffer;
  hosts: string;
  /** The proxy forwarder's source; undefined when the task has no proxy. */
  forwarder: Buffer | undefined;
}

/** How the launcher chain ended. */
export interface LauncherEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
  /** Whether it said it entered the cgroup; without that nothing of the task ran. */
  joined: boolean;
}

/**
 * One launcher process (JOIN_CGROUP_SCRIPT) and its descriptors: it enters the task's
 * cgroup, then runs the chain (setpriv, bubblewrap, the command). `start` gives it the
 * chain on its command line; `ahead` starts it without one, so that it enters the
 * cgroup while the worker waits for work, and `go` hands it the chain when the task
 * arrives. Either way nothing of the task runs before the launcher is in the cgroup.
 */
export class Launcher {
  readonly ended: Promise<LauncherEnd>;
  /** Settles true once the launcher is in the cgroup, false if it ended before. */
  readonly joined: Promise<boolean>;
  private hasJoined = false;
  private argvFd: number | undefined;
  /** go() or abandon() was called: the go pipe is closed. */
  private released = false;

  private constructor(
    readonly child: ChildProcess,
    argvFd: number | undefined,
  ) {
    this.argvFd = argvFd;
    let joined: (value: boolean) => void = () => undefined;
    this.joined = new Promise((resolve) => (joined = resolve));
    this.pipe(FD.joined)
      .on('data', () => {
        this.hasJoined = true;
        joined(true);
      })
      .on('error', () => undefined);
    this.ended = new Promise<LauncherEnd>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error, joined: false }));
      child.once('close', (code, signal) => resolve({ code, signal, joined: this.hasJoined }));
    }).then((end) => {
      joined(false);
      this.closeArgv();
      return { ...end, joined: this.hasJoined };
    });
  }

  /** Starts a launcher that enters the cgroup and runs `chain` at once. */
  static start(
    procsFiles: readonly string[],
    chain: readonly string[],
    inputs: LaunchInputs,
  ): Launcher {
    const child = spawnLauncher(
      procsFiles,
      chain,
      inputs.forwarder !== undefined ? 'pipe' : 'ignore',
    );
    const launcher = new Launcher(child, undefined);
    launcher.feed(inputs);
    return launcher;
  }

  /** Starts a launcher that enters the cgroup now and waits for go(). */
  static ahead(procsFiles: readonly string[]): Launcher {
    // The chain's arguments go through an anonymous file: unlinked before anything is
    // written to it, so nothing of a task's arguments is ever left on disk.
    const path = join(tmpdir(), `bulwark-launch-${randomBytes(8).toString('hex')}`);
    const argvFd = openSync(path, 'wx+', 0o600);
    try {
      const child = spawnLauncher(procsFiles, [], 'pipe', argvFd);
      return new Launcher(child, argvFd);
    } catch (err) {
      closeSync(argvFd);
      throw err;
    } finally {
      unlinkSync(path);
    }
  }

  /** Whether it is still waiting for go() (and not ended). */
  get waiting(): boolean {
    return (
      this.argvFd !== undefined &&
      !this.released &&
      this.child.exitCode === null &&
      this.child.signalCode === null
    );
  }

  /** Hands a launcher started ahead the chain to run; it execs it at once. */
  go(chain: readonly string[], inputs: LaunchInputs): void {
    if (this.argvFd === undefined || this.released) {
      throw new Error('the launcher was not started ahead, or was released');
    }
    this.released = true;
    const argv = Buffer.from(chain.map((arg) => `${arg}\0`).join(''));
    // Positioned writes: the launcher shares this file's offset, and reads from 0.
    for (let at = 0; at < argv.length;) {
      at += writeSync(this.argvFd, argv, at, argv.length - at, at);
    }
    this.closeArgv();
    this.feed(inputs);
    const unused = inputs.forwarder === undefined ? ` ${FD.forwarder}` : '';
    (this.pipe(FD.go) as Writable).on('error', () => undefined).end(`go${unused}\n`);
  }

  /** A launcher started ahead that will not be used: it exits without running anything. */
  abandon(): void {
    if (this.released) return;
    this.released = true;
    this.closeArgv();
    (this.pipe(FD.go) as Writable | null)?.on('error', () => undefined).end();
  }

  private feed(inputs: LaunchInputs): void {
    (this.pipe(FD.seccomp) as Writable).on('error', () => undefined).end(inputs.seccomp);
    (this.pipe(FD.hosts) as Writable).on('error', () => undefined).end(inputs.hosts);
    if (inputs.forwarder !== undefined) {
      (this.pipe(FD.forwarder) as Writable).on('error', () => undefined).end(inputs.forwarder);
    }
  }

  private pipe(fd: number): Readable & Writable {
    // Node types stdio only up to index 4.
    return (this.child.stdio as unknown as (Readable & Writable)[])[fd] as Readable & Writable;
  }

  private closeArgv(): void {
    if (this.argvFd === undefined) return;
    closeSync(this.argvFd);
    this.argvFd = undefined;
  }
}

function spawnLauncher(
  procsFiles: readonly string[],
  chain: readonly string[],
  forwarderSlot: 'pipe' | 'ignore',
  argvFd?: number,
): ChildProcess {
  // Descriptors at the numbers FD names; the go and argv slots only for a launcher started ahead.
  const ahead: ('pipe' | number)[] = argvFd !== undefined ? ['pipe', argvFd] : [];
  return spawn('/bin/bash', launcherArguments(procsFiles, chain), {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', forwarderSlot, 'pipe', ...ahead],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    cwd: '/',
  });
}
