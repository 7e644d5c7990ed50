import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import taskcluster from 'taskcluster-client';
import { resolveConfig, startPlatform, type Platform } from '@bulwark/server';
import { LOCAL_TASK_QUEUE } from '../lib/task-file.js';
import { LocalWorker } from './local-worker.js';
import { claimWorkerRuns, releaseWorkerRuns } from './worker-runs.js';

export { workerRunsDirectory } from './worker-runs.js';

interface UpOptions {
  dataDir: string;
  port: string;
  host: string;
}

const bin = resolve(fileURLToPath(import.meta.url), '../../../bin/bulwark.js');
const systemPackages = resolve(
  fileURLToPath(import.meta.url),
  '../../../../../scripts/system-packages.sh',
);
const WORKER_GROUP = 'local';
const WORKER_ID = 'local-1';
const WORKER_CLIENT = `worker/${LOCAL_TASK_QUEUE}/${WORKER_ID}`;

/**
 * `bulwark up`: the control plane with the embedded database, and a local worker as a
 * separate process with its own pool-scoped credentials (privilege separation even on
 * one machine), restarted when it crashes. Ctrl-C stops the worker first (its tasks
 * resolve worker-shutdown), then the control plane. The worker and the database run
 * in sessions of their own, so the terminal's Ctrl-C reaches this process only.
 */
export function registerUp(program: Command): void {
  program
    .command('up')
    .description('run Bulwark on this machine: control plane, embedded database and a local worker')
    .option('--data-dir <dir>', 'where everything is kept', '.bulwark')
    .option('--port <port>', 'TCP port (0 picks a free one)', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (options: UpOptions) => {
      // A terminal closed while we stop must cost output, never a crash mid-shutdown.
      for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
      ensureSystemPackages();
      const config = resolveConfig({
        dataDir: options.dataDir,
        port: Number(options.port),
        host: options.host,
      });
      const platform = await startPlatform(config);
      const { logger } = platform;
      let worker: LocalWorker;
      try {
        const workerConfig = await provisionLocalWorker(platform, config.dataDir);
        worker = new LocalWorker({
          argv: [process.execPath, bin, 'worker', '--config', workerConfig],
          logger,
        });
        worker.start();
      } catch (err) {
        await platform.stop();
        await releaseWorkerRuns(config.dataDir);
        throw err;
      }
      let stopping = false;
      // In order: the worker first (its running tasks resolve worker-shutdown and are
      // retried at once, while the API still answers it), then the HTTP server (in-flight
      // requests finish, connections close), then the database.
      const shutdown = (signal: NodeJS.Signals): void => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping: the local worker, then the control plane');
        worker
          .stop()
          .then(() => releaseWorkerRuns(config.dataDir))
          .then(() => platform.stop())
          .then(
            () => process.exit(0),
            (err: unknown) => {
              logger.error({ err }, 'stopping failed');
              process.exit(1);
            },
          );
      };
      process.on('SIGINT', shutdown);
      process.on('SIGTERM', shutdown);
      process.on('SIGHUP', shutdown);
      // Printed once Ctrl-C is handled: whoever waits for this line may signal at once.
      process.stdout.write(
        [
          `Bulwark is running at ${platform.rootUrl}`,
          `Root credentials: ${platform.rootCredentialsPath} (keep this file private)`,
          `A local worker takes tasks from ${LOCAL_TASK_QUEUE}.`,
          'Try:',
          `  export TASKCLUSTER_ROOT_URL=${platform.rootUrl}`,
          `  export TASKCLUSTER_CLIENT_ID=static/root TASKCLUSTER_ACCESS_TOKEN=$(node -p "require('${platform.rootCredentialsPath}').accessToken")`,
          `  npx bulwark task run -- sh -c 'echo hello from the sandbox'`,
          '',
        ].join('\n'),
      );
    });
}

/** Installs bubblewrap and friends as root on Debian, or says exactly what to run. */
function ensureSystemPackages(): void {
  if (!existsSync(systemPackages)) return;
  const result = spawnSync('bash', [systemPackages], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('system packages are missing (see above)');
}

/**
 * The local pool's role and the worker's client (created once, reused later), its
 * 0600 credentials file and its configuration. The worker's client holds only its
 * pool's claim-work and its own worker-id (S5), never the root credentials.
 */
async function provisionLocalWorker(platform: Platform, dataDir: string): Promise<string> {
  const root = JSON.parse(await readFile(platform.rootCredentialsPath, 'utf8')) as {
    clientId: string;
    accessToken: string;
  };
  const auth = new taskcluster.Auth({ rootUrl: platform.rootUrl, credentials: root });
  const roleId = `worker-pool:${LOCAL_TASK_QUEUE}`;
  const role = {
    description: 'the local worker pool of `bulwark up`',
    scopes: [`queue:claim-work:${LOCAL_TASK_QUEUE}`],
  };
  await auth.createRole!(roleId, role).catch((err: { statusCode?: number }) => {
    if (err.statusCode !== 409) throw err;
  });
  const workerDir = join(dataDir, 'worker');
  await mkdir(workerDir, { recursive: true, mode: 0o700 });
  await chmod(workerDir, 0o700);
  const credentialsFile = join(workerDir, 'credentials.json');
  const existing = await auth.client!(WORKER_CLIENT).catch(() => undefined);
  if (!existing || !existsSync(credentialsFile)) {
    const scopes = [`assume:${roleId}`, `queue:worker-id:${WORKER_GROUP}/${WORKER_ID}`];
    const expires = new Date(Date.now() + 10 * 365 * 24 * 3600_000).toJSON();
    const created = existing
      ? await auth.resetAccessToken!(WORKER_CLIENT)
      : await auth.createClient!(WORKER_CLIENT, {
          description: 'the local worker of `bulwark up`',
          expires,
          scopes,
        });
    await writeFile(
      credentialsFile,
      JSON.stringify({ clientId: WORKER_CLIENT, accessToken: created.accessToken }, null, 2),
      { mode: 0o600 },
    );
  }
  const configFile = join(workerDir, 'config.json');
  await writeFile(
    configFile,
    JSON.stringify(
      {
        rootUrl: platform.rootUrl,
        taskQueueId: LOCAL_TASK_QUEUE,
        workerGroup: WORKER_GROUP,
        workerId: WORKER_ID,
        capacity: 2,
        engine: 'sandbox',
        dataDir: await claimWorkerRuns(dataDir),
        credentialsFile,
        // Ctrl-C means now: running tasks resolve worker-shutdown and are retried at once.
        shutdownGraceSeconds: 0,
      },
      null,
      2,
    ),
    { mode: 0o600 },
  );
  return configFile;
}
