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

/** What bubblewrap reads from the launcher's descriptors. */
export interface LaunchInputs {
  /** bubblewrap's options (BwrapInvocation.options), the task's environment among them. */
  bwrapOptions: readonly string[];
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
 * cgroup, then runs the chain (setpriv, bubblewrap, the command). `ahead` starts it
 * while the worker waits for work, so that it enters the cgroup meanwhile, and `go`
 * hands it the chain when the task arrives; `start` does both at once. Either way
 * nothing of the task runs before the launcher is in the cgroup, and nothing of the
 * task is on a command line but the command itself: the chain goes through a file,
 * bubblewrap's options (with the environment) through a pipe (S1).
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
    const launcher = Launcher.ahead(procsFiles);
    try {
      launcher.go(chain, inputs);
    } catch (err) {
      launcher.abandon();
      throw err;
    }
    return launcher;
  }

  /** Starts a launcher that enters the cgroup now and waits for go(). */
  static ahead(procsFiles: readonly string[]): Launcher {
    // The chain's arguments go through an anonymous file: unlinked before anything is
    // written to it, so nothing of a task's arguments is ever left on disk.
    const path = join(tmpdir(), `bulwark-launch-${randomBytes(8).toString('hex')}`);
    const argvFd = openSync(path, 'wx+', 0o600);
    try {
      return new Launcher(spawnLauncher(procsFiles, argvFd), argvFd);
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

  /**
   * Hands a launcher started ahead the chain to run; it execs it at once. Throws,
   * handing over nothing, if an argument holds a NUL byte (see nulSeparated).
   */
  go(chain: readonly string[], inputs: LaunchInputs): void {
    if (this.argvFd === undefined || this.released) {
      throw new Error('the launcher was not started ahead, or was released');
    }
    const argv = nulSeparated(chain);
    const options = nulSeparated(inputs.bwrapOptions);
    this.released = true;
    // Positioned writes: the launcher shares this file's offset, and reads from 0.
    for (let at = 0; at < argv.length;) {
      at += writeSync(this.argvFd, argv, at, argv.length - at, at);
    }
    this.closeArgv();
    this.feed(inputs, options);
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

  private feed(inputs: LaunchInputs, options: Buffer): void {
    (this.pipe(FD.args) as Writable).on('error', () => undefined).end(options);
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

/**
 * Arguments as the launcher (mapfile -d '') and bubblewrap (--args) read them, each
 * ended by a NUL byte. An argument holding a NUL byte would read as two, and an
 * environment value could then add options of its own to bubblewrap's (a `--bind`
 * of the host's root, say): refused here, whatever checked the payload before.
 */
export function nulSeparated(args: readonly string[]): Buffer {
  if (args.some((arg) => arg.includes('\0'))) {
    throw new NulInArgument();
  }
  return Buffer.from(args.map((arg) => `${arg}\0`).join(''));
}

/** An argument or an environment value holds a NUL byte, which no command line can carry. */
export class NulInArgument extends Error {
  override readonly name = 'NulInArgument';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_NUL_IN_ARGUMENT';
  constructor() {
    super('a command argument or an environment value holds a NUL byte');
  }
}

function spawnLauncher(procsFiles: readonly string[], argvFd: number): ChildProcess {
  // Descriptors at the numbers FD names: seccomp, hosts, forwarder, joined, go, argv, args.
  const stdio = ['pipe', 'pipe', 'pipe', 'pipe', 'pipe', argvFd, 'pipe'] as const;
  return spawn('/bin/bash', launcherArguments(procsFiles, []), {
    stdio: ['ignore', 'pipe', 'pipe', ...stdio],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    cwd: '/',
  });
}
