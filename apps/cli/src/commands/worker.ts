import type { Command } from 'commander';
import pino from 'pino';
import { loadWorkerConfig, prepareEngine, startWorker, ControlsFailed } from '@bulwark/worker';
import { hostname } from 'node:os';
import { serviceClient } from '../lib/clients.js';
import { UsageError } from '../lib/credentials.js';
import { provisionWorkerClient, writeWorkerConfig } from '../lib/worker-provision.js';
import { action } from '../lib/run.js';

interface WorkerOptions {
  config?: string;
  selfTest?: boolean;
  allowInsecure?: boolean;
}

export function registerWorker(program: Command): void {
  const worker = program
    .command('worker')
    .description(
      'run tasks from one task queue in the sandbox (needs root for namespaces and cgroups)',
    )
    .option(
      '--config <file>',
      'worker configuration (JSON); BULWARK_WORKER_* variables override it',
    )
    .option(
      '--self-test',
      'prove every sandbox control with a hostile probe, print the results, and exit',
    )
    .option('--allow-insecure', 'accept the insecure engine (development only: no isolation)')
    .action(
      action(async (options: WorkerOptions) => {
        const config = await loadWorkerConfig(options.config).catch((err: Error) => {
          throw new UsageError(err.message);
        });
        const logger = pino(
          { level: process.env.BULWARK_LOG_LEVEL ?? 'info' },
          pino.destination(2),
        );
        let prepared;
        try {
          prepared = await prepareEngine(config, {
            allowInsecure: options.allowInsecure === true,
            logger,
          });
        } catch (err) {
          if (err instanceof ControlsFailed && options.selfTest) {
            for (const check of err.checks) printCheck(check.control, check.ok, check.detail);
            process.exitCode = 1;
            return;
          }
          throw new UsageError((err as Error).message);
        }
        if (options.selfTest) {
          for (const check of prepared.checks) printCheck(check.control, check.ok, check.detail);
          await prepared.engine.close?.();
          return;
        }
        const worker = await startWorker(config, prepared.engine, logger);
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            logger.info('stopping: no new tasks; running tasks get their grace period');
            worker.stop().then(resolve, resolve);
          };
          process.once('SIGTERM', stop);
          process.once('SIGINT', stop);
        });
      }),
    );
  registerWorkerInit(worker);
}

interface InitOptions {
  rootUrl?: string;
  queue: string;
  workerGroup: string;
  workerId: string;
  dataDir: string;
  capacity: string;
  out: string;
}

function registerWorkerInit(worker: Command): void {
  worker
    .command('init')
    .description(
      'create a worker client with the least scopes and write the one file a worker host needs',
    )
    .option('--root-url <url>', 'the URL the worker host reaches the control plane at')
    .option('--queue <taskQueueId>', 'the pool the worker claims from', 'local/default')
    .option('--worker-group <group>', 'the worker group (a region, a rack...)', 'default')
    .option('--worker-id <id>', "this worker's id, unique in its group", hostname().split('.')[0])
    .option(
      '--data-dir <dir>',
      'where the worker keeps its runs, on the worker host',
      '/var/lib/bulwark-worker',
    )
    .option('--capacity <n>', 'tasks at once', '1')
    .option('--out <file>', 'the configuration file to write (0600)', 'worker.json')
    .action(
      action(async (options: InitOptions) => {
        const capacity = Number(options.capacity);
        if (!Number.isInteger(capacity) || capacity < 1 || capacity > 256) {
          throw new UsageError('--capacity must be an integer from 1 to 256');
        }
        const { client, rootUrl } = await serviceClient('Auth');
        const identity = {
          rootUrl: (options.rootUrl ?? rootUrl).replace(/\/+$/, ''),
          taskQueueId: options.queue,
          workerGroup: options.workerGroup,
          workerId: options.workerId,
        };
        const credentials = await provisionWorkerClient(
          client,
          identity,
          `worker ${identity.workerGroup}/${identity.workerId} of ${identity.taskQueueId}`,
        );
        const config = { ...identity, dataDir: options.dataDir, capacity, credentials };
        await writeWorkerConfig(options.out, config);
        // The file was checked by the same rules the worker will apply.
        await loadWorkerConfig(options.out).catch((err: Error) => {
          throw new UsageError(err.message);
        });
        process.stdout.write(
          `wrote ${options.out} (0600) for worker ${identity.workerGroup}/${identity.workerId} of ` +
            `${identity.taskQueueId}, as client ${credentials.clientId}\n` +
            `copy it to the worker host (it holds the worker's token: keep it 0600), then run there:\n` +
            `  bulwark worker --config ${options.out}\n`,
        );
      }),
    );
}

function printCheck(control: string, ok: boolean, detail: string | undefined): void {
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'}  ${control}${ok ? '' : `: ${detail ?? ''}`}\n`);
}
