import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { workerRunsDirectory } from '../commands/up.js';

const repository = resolve(fileURLToPath(import.meta.url), '../../../../..');
const bin = join(repository, 'apps/cli/bin/bulwark.js');

/** What a process printed, and how it ended. */
interface Watched {
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
  /** Resolves with the first match of `pattern` in the output so far or to come. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
}

function watch(child: ChildProcess): Watched {
  let output = '';
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const waiters = new Set<() => void>();
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const waiter of waiters) waiter();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return {
    process: child,
    exited,
    output: () => output,
    waitFor: (pattern, timeoutMs) =>
      new Promise((done, fail) => {
        const check = (): void => {
          const match = pattern.exec(output);
          if (!match) return;
          waiters.delete(check);
          clearTimeout(timer);
          done(match);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          fail(new Error(`no ${String(pattern)} within ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        waiters.add(check);
        void exited.then(() => {
          if (!waiters.has(check)) return;
          waiters.delete(check);
          clearTimeout(timer);
          fail(new Error(`exited before ${String(pattern)}:\n${output}`));
        });
        check();
      }),
  };
}

async function cli(
  rootUrl: string,
  dataDir: string,
  args: string[],
  stdin?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const root = JSON.parse(await readFile(join(dataDir, 'root-credentials.json'), 'utf8')) as {
    clientId: string;
    accessToken: string;
  };
  const child = spawn(process.execPath, [bin, ...args], {
    env: {
      PATH: process.env.PATH,
      TASKCLUSTER_ROOT_URL: rootUrl,
      TASKCLUSTER_CLIENT_ID: root.clientId,
      TASKCLUSTER_ACCESS_TOKEN: root.accessToken,
    },
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  if (stdin !== undefined) child.stdin?.end(stdin);
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  return { code, stdout, stderr };
}

interface TaskStatus {
  state: string;
  runs: { state: string; reasonResolved?: string }[];
}

async function status(rootUrl: string, dataDir: string, taskId: string): Promise<TaskStatus> {
  const shown = await cli(rootUrl, dataDir, ['task', 'status', taskId, '--json']);
  assert.equal(shown.code, 0, shown.stderr);
  return JSON.parse(shown.stdout) as TaskStatus;
}

/** What a clean stop never prints: stack traces, broken pipes, connections cut by the database. */
const UNCLEAN = /\n\s+at \S+ \(|EPIPE|EIO|terminating connection|Unhandled|uncaught/i;

function killAll(watched: Watched): void {
  const { process: child } = watched;
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

test('the README’s first command, `npm start`, runs a task and stops cleanly on Ctrl-C at its terminal', async () => {
  const readme = await readFile(join(repository, 'README.md'), 'utf8');
  assert.match(readme, /^npm ci && npm start\b/m, 'the README still says npm start');
  const scratch = await mkdtemp(join(tmpdir(), 'bulwark-readme-'));
  // Private, like a clone under /root or `mktemp -d`: nothing here is loosened for anyone.
  await chmod(scratch, 0o700);
  const dataDir = join(scratch, 'data');
  // A real terminal: Ctrl-C reaches its whole foreground process group (npm, its
  // shell, bulwark up and anything else sharing it), exactly as when typed.
  const started = watch(
    spawn(
      'script',
      [
        '--quiet',
        '--flush',
        '--return',
        '--command',
        // `exec`, as at an interactive shell: npm leads the foreground group. Without it
        // the sh that `script` starts (when SHELL is unset or /bin/sh) dies of the Ctrl-C
        // itself and `script` reports 130, whatever `npm start` did.
        `exec npm start -- --data-dir ${quote(dataDir)} --port 0`,
        '/dev/null',
      ],
      {
        cwd: repository,
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, BULWARK_LOG_LEVEL: 'warn' },
      },
    ),
  );
  let serve: Watched | undefined;
  try {
    const rootUrl = (await started.waitFor(/running at (http:\/\/\S+)/, 180_000))[1]!;
    const ping = await fetch(`${rootUrl}/api/queue/v1/ping`);
    assert.equal(ping.status, 200);

    const created = await cli(
      rootUrl,
      dataDir,
      ['task', 'create'],
      "payload: {command: [sh, -c, 'echo started; sleep 600']}\n",
    );
    assert.equal(created.code, 0, created.stderr);
    const taskId = created.stdout.trim();
    let state = '';
    for (let i = 0; i < 600 && state !== 'running'; i++) {
      state = (await status(rootUrl, dataDir, taskId)).state;
      if (state !== 'running') await sleep(100);
    }
    assert.equal(state, 'running');

    started.process.stdin?.write('\x03');
    assert.equal(await started.exited, 0, started.output());
    assert.doesNotMatch(started.output(), UNCLEAN);
    // The local worker's runs went with it.
    await assert.rejects(stat(workerRunsDirectory(dataDir)), { code: 'ENOENT' });

    // The control plane alone, to read what became of the task; then its own clean stop.
    serve = watch(
      spawn(process.execPath, [bin, 'serve', '--data-dir', dataDir, '--port', '0'], {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, BULWARK_LOG_LEVEL: 'warn' },
      }),
    );
    const serveUrl = (await serve.waitFor(/running at (http:\/\/\S+)/, 60_000))[1]!;
    const after = await status(serveUrl, dataDir, taskId);
    // Resolved by the worker as it stopped, and retried at once: never left running.
    assert.deepEqual(after.runs[0], { ...after.runs[0], state: 'exception' });
    assert.equal(after.runs[0]?.reasonResolved, 'worker-shutdown');
    assert.equal(after.runs[1]?.state, 'pending');
    serve.process.kill('SIGTERM');
    assert.equal(await serve.exited, 0, serve.output());
    assert.doesNotMatch(serve.output(), UNCLEAN);
  } finally {
    killAll(started);
    await started.exited;
    if (serve) {
      killAll(serve);
      await serve.exited;
    }
    await rm(workerRunsDirectory(dataDir), { recursive: true, force: true });
    await rm(`${workerRunsDirectory(dataDir)}.owner`, { force: true });
    await rm(scratch, { recursive: true, force: true });
  }
});
