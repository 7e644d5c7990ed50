import { spawn, type ChildProcess } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';

/**
 * A real `bulwark up` the test may restart on its own port and data directory, as an
 * operator restarts a deployment: `restartCommand()` is a shell command (for
 * `bulwark exercise --restart-command`) that asks this process to restart it, by
 * SIGUSR2, and returns once the old one has stopped.
 */
export class RestartableUp {
  private child: ChildProcess | undefined;
  private port = 0;
  private restarting: Promise<void> | undefined;
  rootUrl = '';

  constructor(
    private readonly bin: string,
    private readonly dataDir: string,
    /** Written once the old process is gone; the restart command waits for it. */
    private readonly stoppedMarker: string,
  ) {}

  async start(): Promise<string> {
    const child = spawn(
      process.execPath,
      [this.bin, 'up', '--data-dir', this.dataDir, '--port', String(this.port)],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BULWARK_LOG_LEVEL: 'warn' } },
    );
    this.child = child;
    this.rootUrl = await new Promise<string>((done, fail) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error(`bulwark up did not start: ${out}`)), 60_000);
      child.once('exit', (code) => fail(new Error(`bulwark up exited (${String(code)})`)));
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /running at (http:\/\/\S+)/.exec(out);
        if (match?.[1]) {
          clearTimeout(timer);
          done(match[1]);
        }
      });
    });
    // The port it got stays its own: a restart listens there again, so captured
    // requests (signed for host and port) can be replayed against the new process.
    this.port = Number(new URL(this.rootUrl).port);
    return this.rootUrl;
  }

  /** Restarts on SIGUSR2 (what restartCommand() sends) until stop(). */
  listenForRestarts(): void {
    process.on('SIGUSR2', this.onSignal);
  }

  restartCommand(): string {
    const marker = JSON.stringify(this.stoppedMarker);
    return `kill -USR2 ${process.pid} && for i in $(seq 600); do [ -e ${marker} ] && exit 0; sleep 0.2; done; exit 1`;
  }

  async stop(): Promise<void> {
    process.off('SIGUSR2', this.onSignal);
    await this.restarting;
    await this.stopChild();
  }

  private readonly onSignal = (): void => {
    this.restarting ??= this.restart().finally(() => (this.restarting = undefined));
  };

  private async restart(): Promise<void> {
    await this.stopChild();
    await writeFile(this.stoppedMarker, 'stopped\n');
    try {
      await this.start();
    } finally {
      await rm(this.stoppedMarker, { force: true });
    }
  }

  private async stopChild(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGINT');
    await exited;
  }
}
