import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LocalWorkerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface LocalWorkerOptions {
  /** The worker's command line, program first. */
  readonly argv: readonly string[];
  readonly logger: LocalWorkerLogger;
  /** First restart delay; it doubles after each crash up to maxDelayMs. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** A worker that ran this long before it crashed restarts after initialDelayMs again. */
  readonly stableAfterMs?: number;
  /** How long stop() waits for the worker's own shutdown before SIGKILL. */
  readonly stopTimeoutMs?: number;
}

/**
 * The local worker of `bulwark up`, kept running (S19: a crashed worker is
 * restarted, never taking the control plane with it). It runs in a session of its
 * own, so a Ctrl-C at the terminal reaches only `bulwark up`, which stops it first
 * and in order; and it gets SIGTERM, its orderly stop, if `bulwark up` dies in any
 * way, SIGKILL included (the parent-death signal, set by setpriv).
 */
export class LocalWorker {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restarts = 0;
  private delayMs: number;
  private restartTimer: AbortController | undefined;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly stableAfterMs: number;

  constructor(private readonly options: LocalWorkerOptions) {
    this.initialDelayMs = options.initialDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.stableAfterMs = options.stableAfterMs ?? 60_000;
    this.delayMs = this.initialDelayMs;
  }

  /** The running worker's pid, if one runs. */
  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  start(): void {
    const [program, ...args] =
      process.platform === 'linux'
        ? ['setpriv', '--pdeathsig', 'TERM', '--', ...this.options.argv]
        : this.options.argv;
    const child = spawn(program!, args, {
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    this.child = child;
    const startedAt = Date.now();
    child.once('error', (err) => this.exited(child, startedAt, { error: err.message }));
    child.once('exit', (code, signal) => this.exited(child, startedAt, { code, signal }));
    this.options.logger.info(
      { workerPid: child.pid, restarts: this.restarts },
      'local worker started',
    );
  }

  /** Stops the worker in order (its running tasks resolve worker-shutdown) and restarts no more. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.restartTimer?.abort();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null || !child.pid) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGTERM');
    const timeout = this.options.stopTimeoutMs ?? 60_000;
    const late = sleep(timeout, 'late' as const, { ref: false });
    if ((await Promise.race([exited, late])) === 'late') {
      this.options.logger.warn(
        { workerPid: child.pid },
        'the local worker did not stop; killing it',
      );
      child.kill('SIGKILL');
      await exited;
    }
  }

  private exited(child: ChildProcess, startedAt: number, how: object): void {
    if (this.child !== child || this.stopping) return;
    this.child = undefined;
    if (Date.now() - startedAt >= this.stableAfterMs) this.delayMs = this.initialDelayMs;
    const delayMs = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.maxDelayMs);
    this.restarts += 1;
    this.options.logger.warn(
      { ...how, restarts: this.restarts, restartInMs: delayMs },
      'the local worker stopped; restarting it',
    );
    const timer = new AbortController();
    this.restartTimer = timer;
    sleep(delayMs, undefined, { signal: timer.signal }).then(
      () => {
        if (!this.stopping) this.start();
      },
      () => undefined,
    );
  }
}
