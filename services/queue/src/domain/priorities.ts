/** Taskcluster's priorities, highest first; stored as 7 (highest) ... 1 (lowest). */
export const PRIORITY_NAMES = [
  'highest',
  'very-high',
  'high',
  'medium',
  'low',
  'very-low',
  'lowest',
] as const;

export type PriorityName = (typeof PRIORITY_NAMES)[number];

export const DEFAULT_PRIORITY: PriorityName = 'lowest';

export function priorityNumber(name: PriorityName): number {
  return PRIORITY_NAMES.length - PRIORITY_NAMES.indexOf(name);
}

export function priorityName(value: number): PriorityName {
  const name = PRIORITY_NAMES[PRIORITY_NAMES.length - value];
  if (name === undefined) throw new Error(`no priority numbered ${value}`);
  return name;
}

/**
 * The priorities at or above `name`: holding `queue:create-task:<p>:<queue>` for any
 * of them allows creating a task at `name` (reference §3.4, createTask).
 */
export function prioritiesAtOrAbove(name: PriorityName): PriorityName[] {
  return PRIORITY_NAMES.slice(0, PRIORITY_NAMES.indexOf(name) + 1);
}
