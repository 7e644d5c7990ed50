import { result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, ExerciseContext } from '../types.js';

const WORKER_LINE = '[bulwark] ';

/** The secret names the worker's own lines must never show (S1). */
function secretNames(context: ExerciseContext): string[] {
  return [context.victims?.secretName, context.ownSecret?.name].filter(
    (name): name is string => name !== undefined && name.length >= 8,
  );
}

/**
 * 10.secrets-in-logs: every task log the attacks read, scanned once every other goal is
 * done: no credential the exercise knows of and no secret value anywhere in it (the
 * masking's job, S15), and no secret name in a line of the worker's own (S1: the worker
 * never logs one). The evidence names what was found, never the finding itself.
 */
export function scanReceived(context: ExerciseContext): AttackResult {
  const info: AttackInfo = {
    goal: 10,
    id: '10.secrets-in-logs',
    title: 'credentials, secret values and secret names in the task logs the red team reads',
    invariants: ['S1', 'S15'],
  };
  const values = [...context.knownTokens, context.victims?.secretValue].filter(
    (value): value is string => value !== undefined && value.length >= 8,
  );
  const names = secretNames(context);
  const found: string[] = [];
  for (const { taskId, log } of context.logsRead) {
    if (values.some((value) => log.includes(value))) {
      found.push(`task ${taskId}: a credential or secret value`);
    }
    const workerLines = log.split('\n').filter((line) => line.startsWith(WORKER_LINE));
    if (workerLines.some((line) => names.some((name) => line.includes(name)))) {
      found.push(`task ${taskId}: a secret name in a line of the worker's`);
    }
  }
  const evidence = {
    notes: [
      `${context.logsRead.length} task log(s) scanned for ${values.length} value(s) and ${names.length} name(s)`,
      ...found.slice(0, 20),
    ],
  };
  if (found.length > 0) {
    return result(info, 'BREACHED', `${found.length} log(s) showed what they must not`, evidence);
  }
  if (context.logsRead.length === 0) {
    return result(info, 'INCONCLUSIVE', 'no task log was read in this run', evidence);
  }
  return result(info, 'BLOCKED', 'no log showed a credential, a value or a name', evidence);
}
