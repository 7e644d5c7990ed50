import { randomBytes } from 'node:crypto';
import { GOALS } from './goals/index.js';
import { replayAcrossRestart } from './goals/goal-1-restart.js';
import { scanReceived } from './goals/goal-10-received.js';
import { Stage, type Weakening } from './set-up.js';
import { redactShaped } from './token-scan.js';
import type { AttackResult, Credentials, ExerciseContext } from './types.js';

export interface ExerciseOptions {
  rootUrl: string;
  /** Used only to set up and tear down (absent with `--as`). */
  admin?: Credentials;
  /** `--as`: attack with these credentials, set up nothing. */
  attacker?: Credentials;
  pool: string;
  goals?: readonly number[];
  weaken?: readonly Weakening[];
  /** The deployment's data directory on this machine, for the audit's walk (`--data-dir`). */
  dataDir?: string;
  /** A command that restarts the deployment's control plane (`--restart-command`). */
  restartCommand?: string;
  signal: AbortSignal;
  progress: (line: string) => void;
}

export interface ExerciseReport {
  rootUrl: string;
  runId: string;
  pool: string;
  mode: 'set-up' | 'as-client';
  redTeamClientId: string;
  weakened: string[];
  startedAt: string;
  finishedAt: string;
  results: AttackResult[];
  /** What teardown could not remove (empty when everything went). */
  leftovers: string[];
  summary: { blocked: number; breached: number; inconclusive: number };
}

/**
 * Sets up (unless `--as`), runs the chosen goals side by side with the red team's
 * credentials, and always tears down what set-up made. An attack that throws is reported
 * INCONCLUSIVE with the error; the run goes on.
 */
export async function runExercise(options: ExerciseOptions): Promise<ExerciseReport> {
  const runId = randomBytes(4).toString('hex');
  const startedAt = new Date().toJSON();
  const stage = options.admin
    ? new Stage({
        rootUrl: options.rootUrl,
        admin: options.admin,
        runId,
        pool: options.pool,
        weaken: options.weaken ?? [],
        progress: options.progress,
      })
    : undefined;
  const context: ExerciseContext = {
    rootUrl: options.rootUrl,
    runId,
    pool: options.pool,
    redTeam: options.attacker ?? { clientId: '', accessToken: '' },
    victims: undefined,
    knownTokens: [options.admin?.accessToken, options.attacker?.accessToken].filter(
      (t): t is string => t !== undefined,
    ),
    ownSecretPrefix: undefined,
    ownSecret: undefined,
    dataDir: options.dataDir,
    restartCommand: options.restartCommand,
    logsRead: [],
    signal: options.signal,
    progress: options.progress,
  };
  const results: AttackResult[] = [];
  let leftovers: string[] = [];
  try {
    if (stage) {
      const staged = await stage.setUp(context);
      context.redTeam = staged.redTeam;
      context.victims = staged.victims;
      context.ownSecretPrefix = staged.ownSecretPrefix;
      context.ownSecret = staged.ownSecret;
      context.knownTokens.push(
        staged.ownSecret.value,
        staged.redTeam.accessToken,
        staged.victims.client.accessToken,
        staged.victims.secretValue,
      );
    }
    // The goals run side by side (each bounded, each aimed at its own names), so a full
    // run takes about as long as its slowest goal and the worker's queue stays full.
    const chosen = GOALS.filter((goal) => !options.goals || options.goals.includes(goal.number));
    const byGoal = await Promise.all(
      chosen.map(async (goal): Promise<AttackResult[]> => {
        if (options.signal.aborted) return [];
        options.progress(`goal ${goal.number}: ${goal.title}`);
        try {
          return await goal.run(context);
        } catch (err) {
          return [
            {
              goal: goal.number,
              id: `${goal.number}.error`,
              title: goal.title,
              invariants: [],
              verdict: 'INCONCLUSIVE',
              reason: `the goal stopped with an error: ${(err as Error).message.split('\n')[0] ?? ''}`,
              evidence: {},
            },
          ];
        }
      }),
    );
    results.push(...byGoal.flat());
    // A restart interrupts whatever runs: the replay across it comes after every goal.
    if (chosen.some((goal) => goal.number === 1) && !options.signal.aborted) {
      results.push(await replayAcrossRestart(context));
    }
    // The audit's scan reads what every other goal received, so it comes last.
    if (chosen.some((goal) => goal.number === 10) && !options.signal.aborted) {
      results.push(scanReceived(context));
    }
  } finally {
    if (stage) leftovers = await stage.tearDown();
  }
  // No report carries a credential or the victim's secret, whatever an attack saw (S1).
  const clean = JSON.parse(JSON.stringify(results), (_key, value: unknown) =>
    typeof value === 'string' ? redactShaped(redactAll(value, context.knownTokens)) : value,
  ) as AttackResult[];
  return {
    rootUrl: options.rootUrl,
    runId,
    pool: options.pool,
    mode: stage ? 'set-up' : 'as-client',
    redTeamClientId: context.redTeam.clientId,
    weakened: [...(options.weaken ?? [])],
    startedAt,
    finishedAt: new Date().toJSON(),
    results: clean,
    leftovers,
    summary: {
      blocked: clean.filter((r) => r.verdict === 'BLOCKED').length,
      breached: clean.filter((r) => r.verdict === 'BREACHED').length,
      inconclusive: clean.filter((r) => r.verdict === 'INCONCLUSIVE').length,
    },
  };
}

function redactAll(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 8) out = out.split(secret).join('[redacted]');
  }
  return out;
}
