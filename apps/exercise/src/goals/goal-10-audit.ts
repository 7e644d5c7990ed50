import type { Goal } from '../types.js';
import { errorBodiesAttack, integersAttack, lookalikePolicyAttack } from './goal-10-inputs.js';
import { argvAttack, worldAccessibleAttack } from './goal-10-local.js';
import { traversalAttack } from './goal-10-traversal.js';

/**
 * Goal 10: the classes of weakness a Kubernetes security audit found in a comparable
 * platform, tried here: credentials and secret names in logs and error answers,
 * traversal in artifact names, files open to other users, credentials on command lines,
 * integers out of range, and narrowing policies that silently do not apply. The scan of
 * every log the run read (10.secrets-in-logs) comes after all other goals (runner.ts).
 */
export const goal10: Goal = {
  number: 10,
  title: 'Find the audit classes: leaks in logs and errors, traversal, open files, lax inputs',
  implemented: true,
  async run(context) {
    return Promise.all([
      errorBodiesAttack(context),
      traversalAttack(context),
      worldAccessibleAttack(context),
      argvAttack(context),
      integersAttack(context),
      lookalikePolicyAttack(context),
    ]);
  },
};
