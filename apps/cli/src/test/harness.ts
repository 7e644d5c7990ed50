import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Platform } from '@bulwark/server';
import { startTestPlatform, type TestPlatform } from '@bulwark/server/testing';

const bin = resolve(fileURLToPath(import.meta.url), '../../../bin/bulwark.js');

export interface Credentials {
  clientId: string;
  accessToken: string;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliCall {
  /** Whose credentials the command runs with; null for none. Root by default. */
  credentials?: Credentials | null;
  stdin?: string;
  /** Called with everything printed so far, each time more arrives. */
  onOutput?: (stdout: string, stderr: string) => void;
}

/**
 * A running platform (on a private test database) and a way to run the real
 * `bulwark` binary against it as a child process, keeping a transcript of everything
 * it printed so tests can check what must never appear (S1).
 */
export class CliHarness {
  readonly transcript: string[] = [];

  private constructor(
    private readonly running: TestPlatform,
    readonly root: Credentials,
    readonly configHome: string,
  ) {}

  get platform(): Platform {
    return this.running.platform;
  }

  static async start(): Promise<CliHarness> {
    const running = await startTestPlatform();
    const configHome = await mkdtemp(join(tmpdir(), 'bulwark-cli-home-'));
    const root = JSON.parse(
      await readFile(running.platform.rootCredentialsPath, 'utf8'),
    ) as Credentials;
    return new CliHarness(running, root, configHome);
  }

  run(args: string[], call: CliCall = {}): Promise<CliResult> {
    const credentials = call.credentials === undefined ? this.root : call.credentials;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      XDG_CONFIG_HOME: this.configHome,
      TASKCLUSTER_ROOT_URL: this.platform.rootUrl,
      ...(credentials
        ? {
            TASKCLUSTER_CLIENT_ID: credentials.clientId,
            TASKCLUSTER_ACCESS_TOKEN: credentials.accessToken,
          }
        : {}),
    };
    return new Promise((done, reject) => {
      const child = spawn(process.execPath, [bin, ...args], {
        env,
        stdio: [call.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (c: Buffer) => {
        stdout += c.toString();
        call.onOutput?.(stdout, stderr);
      });
      child.stderr?.on('data', (c: Buffer) => {
        stderr += c.toString();
        call.onOutput?.(stdout, stderr);
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        this.transcript.push(`$ bulwark ${args.join(' ')}\n${stdout}${stderr}`);
        done({ code, stdout, stderr });
      });
      if (call.stdin !== undefined) child.stdin?.end(call.stdin);
    });
  }

  async stop(): Promise<void> {
    await this.running.stop();
    await rm(this.configHome, { recursive: true, force: true });
  }
}
