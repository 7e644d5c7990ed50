import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  GOALS,
  htmlReport,
  jsonReport,
  runExercise,
  tableReport,
  WEAKENINGS,
  type Weakening,
} from '@bulwark/exercise';
import { loadConfig, UsageError } from '../lib/credentials.js';
import { noCredentialsHint } from '../lib/clients.js';
import { action, EXIT } from '../lib/run.js';

interface ExerciseCommandOptions {
  rootUrl?: string;
  as?: string;
  goal: string[];
  pool: string;
  json?: boolean;
  html?: string;
  jsonFile?: string;
  dataDir?: string;
  restartCommand?: string;
  weaken: string[];
}

/** Only a test may weaken the set-up: it must say so in the environment as well. */
const ALLOW_WEAKEN = 'BULWARK_EXERCISE_ALLOW_WEAKEN';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * `bulwark exercise`: the seed red-team exercise against a deployment. With admin
 * credentials it sets up a level-1 red team and victims and removes them afterwards
 * (also on Ctrl-C); with --as it attacks with the given low-privilege client alone.
 * Exit 1 when any attack BREACHED.
 */
export function registerExercise(program: Command): void {
  program
    .command('exercise')
    .description('attack a deployment as a try-level red team; exit 1 when anything is breached')
    .option('--root-url <url>', 'the deployment (default TASKCLUSTER_ROOT_URL)')
    .option(
      '--as <clientId>',
      'attack with this existing client (its credentials in the environment); no set-up',
    )
    .option('--goal <n>', 'run only this goal (repeatable)', collect, [])
    .option('--pool <taskQueueId>', 'the pool the red team’s tasks run in', 'local/default')
    .option('--json', 'print the report as JSON instead of a table')
    .option('--json-file <file>', 'also write the JSON report here')
    .option('--html <file>', 'also write a self-contained HTML report here')
    .option(
      '--data-dir <dir>',
      'the deployment’s data directory, when on this machine: goal 10 checks its modes',
    )
    .option(
      '--restart-command <command>',
      'a shell command that restarts the control plane, returning once the old one has stopped: goal 1 replays a request across the restart',
    )
    .option(
      '--weaken <what>',
      `test only (needs ${ALLOW_WEAKEN}=1): weaken the set-up`,
      collect,
      [],
    )
    .action(
      action(async (options: ExerciseCommandOptions) => {
        if (options.rootUrl) process.env.TASKCLUSTER_ROOT_URL = options.rootUrl;
        const config = await loadConfig();
        if (!config.credentials) throw new UsageError(noCredentialsHint(config));
        const goals = options.goal.map((g) => {
          const n = Number(g);
          if (!GOALS.some((goal) => goal.number === n))
            throw new UsageError(`--goal takes 1 to ${GOALS.length}, not ${g}`);
          return n;
        });
        const weaken = options.weaken.map((w) => {
          if (!WEAKENINGS.includes(w as Weakening)) {
            throw new UsageError(`--weaken takes ${WEAKENINGS.join(', ')}, not ${w}`);
          }
          return w as Weakening;
        });
        if (weaken.length > 0 && process.env[ALLOW_WEAKEN] !== '1') {
          throw new UsageError(`--weaken is for tests only: it needs ${ALLOW_WEAKEN}=1`);
        }
        if (options.as !== undefined && weaken.length > 0) {
          throw new UsageError('--weaken changes the set-up, and --as does none');
        }
        if (options.as !== undefined && options.as !== config.credentials.clientId) {
          throw new UsageError(
            `--as ${options.as}: the credentials in the environment are ${config.credentials.clientId}'s`,
          );
        }
        const interrupt = new AbortController();
        const onSignal = (): void => {
          process.stderr.write('bulwark: stopping the exercise and removing what it made\n');
          interrupt.abort();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        try {
          const report = await runExercise({
            rootUrl: config.rootUrl,
            ...(options.as !== undefined
              ? { attacker: config.credentials }
              : { admin: config.credentials }),
            pool: options.pool,
            ...(goals.length > 0 ? { goals } : {}),
            ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
            ...(options.restartCommand !== undefined
              ? { restartCommand: options.restartCommand }
              : {}),
            weaken,
            signal: interrupt.signal,
            progress: (line) => void process.stderr.write(`bulwark: ${line}\n`),
          });
          process.stdout.write(options.json ? jsonReport(report) : tableReport(report));
          if (options.jsonFile)
            await writeFile(options.jsonFile, jsonReport(report), { mode: 0o600 });
          if (options.html) await writeFile(options.html, htmlReport(report), { mode: 0o600 });
          if (interrupt.signal.aborted) process.exitCode = 130;
          else if (report.summary.breached > 0 || report.leftovers.length > 0)
            process.exitCode = EXIT.failure;
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      }),
    );
}
