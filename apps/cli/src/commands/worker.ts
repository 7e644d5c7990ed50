import type { Command } from 'commander';
import pino from 'pino';
import { loadWorkerConfig, prepareEngine, startWorker, ControlsFailed } from '@bulwark/worker';
import { UsageError } from '../lib/credentials.js';
import { action } from '../lib/run.js';

interface WorkerOptions {
  config?: string;
  selfTest?: boolean;
  allowInsecure?: boolean;
}

export function registerWorker(program: Command): void {
  program
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
          prepared = await prepareEngine(config, { allowInsecure: options.allowInsecure === true });
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
}

function printCheck(control: string, ok: boolean, detail: string | undefined): void {
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'}  ${control}${ok ? '' : `: ${detail ?? ''}`}\n`);
}
