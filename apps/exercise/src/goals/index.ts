import { goal1 } from './goal-1-impersonate.js';
import { goal2 } from './goal-2-token-in-log.js';
import { goal3 } from './goal-3-foreign-artifact.js';
import { goal4 } from './goal-4-foreign-pool.js';
import { goal5 } from './goal-5-lingering-process.js';
import { goal6 } from './goal-6-other-host.js';
import { goal7 } from './goal-7-secrets.js';
import { goal8 } from './goal-8-host-escape.js';
import { goal9 } from './goal-9-signing.js';
import { goal10 } from './goal-10-audit.js';
import { goal11 } from './goal-11-worker-owner.js';
import type { Goal } from '../types.js';

/**
 * The seed exercise's nine goals, in order (docs/threat-model.md), then the audit's
 * classes (10) and the threats to a worker's owner (11).
 */
export const GOALS: readonly Goal[] = [
  goal1,
  goal2,
  goal3,
  goal4,
  goal5,
  goal6,
  goal7,
  goal8,
  goal9,
  goal10,
  goal11,
];
