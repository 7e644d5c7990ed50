import type { RunState } from './queue-runs.js';

/**
 * Where the triggers of migration 0007 announce task state changes. The name is
 * written into that migration's SQL, which can never change, so it is fixed here too.
 */
export const TASK_EVENTS_CHANNEL = 'bulwark_task_events';

/** One state change: a task was defined (`unscheduled`) or one of its runs changed state. */
export type TaskChange =
  | { taskId: string; taskGroupId: string; state: 'unscheduled' }
  | { taskId: string; taskGroupId: string; runId: number; state: RunState };

const SLUG = /^[A-Za-z0-9_-]{22}$/;
const RUN_STATES: ReadonlySet<string> = new Set([
  'pending',
  'running',
  'completed',
  'failed',
  'exception',
]);

/**
 * Reads a notification payload. Anything that is not exactly what the triggers send
 * (another sender on the channel, a damaged payload) is ignored, never trusted.
 */
export function parseTaskChange(payload: string | undefined): TaskChange | undefined {
  if (payload === undefined || payload.length > 1000) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { taskId, taskGroupId, runId, state } = value as Record<string, unknown>;
  if (typeof taskId !== 'string' || !SLUG.test(taskId)) return undefined;
  if (typeof taskGroupId !== 'string' || !SLUG.test(taskGroupId)) return undefined;
  if (state === 'unscheduled' && runId === undefined) return { taskId, taskGroupId, state };
  if (
    typeof state === 'string' &&
    RUN_STATES.has(state) &&
    typeof runId === 'number' &&
    Number.isInteger(runId) &&
    runId >= 0 &&
    runId <= 1000
  ) {
    return { taskId, taskGroupId, runId, state: state as RunState };
  }
  return undefined;
}
