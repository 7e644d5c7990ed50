import type { RunState } from './queue-runs.js';

/**
 * Where the triggers of migrations 0007 and 0010 announce task changes. The name is
 * written into that migration's SQL, which can never change, so it is fixed here too.
 */
export const TASK_EVENTS_CHANNEL = 'bulwark_task_events';

/** One state change: a task was defined (`unscheduled`) or one of its runs changed state. */
export type TaskStateChange =
  | { taskId: string; taskGroupId: string; state: 'unscheduled' }
  | { taskId: string; taskGroupId: string; runId: number; state: RunState };

/** An artifact of a run became present (migration 0010). */
export interface ArtifactChange {
  taskId: string;
  taskGroupId: string;
  runId: number;
  artifact: string;
}

export type TaskChange = TaskStateChange | ArtifactChange;

export function isArtifactChange(change: TaskChange): change is ArtifactChange {
  return 'artifact' in change;
}

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
  // A 1024-character artifact name, every character JSON-escaped, plus the rest.
  if (payload === undefined || payload.length > 7000) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { taskId, taskGroupId, runId, state, artifact } = value as Record<string, unknown>;
  if (typeof taskId !== 'string' || !SLUG.test(taskId)) return undefined;
  if (typeof taskGroupId !== 'string' || !SLUG.test(taskGroupId)) return undefined;
  if (state === 'unscheduled' && runId === undefined && artifact === undefined) {
    return { taskId, taskGroupId, state };
  }
  const validRunId =
    typeof runId === 'number' && Number.isInteger(runId) && runId >= 0 && runId <= 1000;
  if (!validRunId) return undefined;
  if (state === undefined && typeof artifact === 'string') {
    if (artifact.length === 0 || artifact.length > 1024) return undefined;
    return { taskId, taskGroupId, runId, artifact };
  }
  if (typeof state === 'string' && RUN_STATES.has(state) && artifact === undefined) {
    return { taskId, taskGroupId, runId, state: state as RunState };
  }
  return undefined;
}

/**
 * Where sealTaskGroup announces, in its transaction (so only once it commits), that a
 * group was sealed: `{"taskGroupId": ...}`. A channel of its own, so that listeners of
 * task changes never see it.
 */
export const GROUP_EVENTS_CHANNEL = 'bulwark_group_events';

/** Reads a group notification; anything else on the channel is ignored, never trusted. */
export function parseGroupSealed(payload: string | undefined): { taskGroupId: string } | undefined {
  if (payload === undefined || payload.length > 200) return undefined;
  try {
    const value: unknown = JSON.parse(payload);
    if (typeof value !== 'object' || value === null) return undefined;
    const { taskGroupId, ...rest } = value as Record<string, unknown>;
    if (typeof taskGroupId !== 'string' || !SLUG.test(taskGroupId)) return undefined;
    return Object.keys(rest).length === 0 ? { taskGroupId } : undefined;
  } catch {
    return undefined;
  }
}
