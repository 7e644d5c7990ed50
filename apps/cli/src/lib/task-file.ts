import { basename } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError } from './credentials.js';
import { fromNow } from './duration.js';

/** The pool `bulwark up` starts a worker for; where tasks go unless they say otherwise. */
export const LOCAL_TASK_QUEUE = 'local/default';

const TIMES = ['created', 'deadline', 'expires'] as const;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T/;

/**
 * Turns a task file (YAML or JSON; JSON is YAML) into a createTask body. Times may be
 * durations from now (`1 hour`), as Taskcluster's tools write them; missing times and
 * metadata get the defaults a person running one task from a file would expect.
 */
export function taskFromDocument(
  text: string,
  source: string,
  now: Date = new Date(),
): Record<string, unknown> {
  let document: unknown;
  try {
    document = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new UsageError(`${source} is not valid YAML or JSON: ${(err as Error).message}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new UsageError(`${source} must hold one task definition (a mapping)`);
  }
  const task: Record<string, unknown> = { ...(document as Record<string, unknown>) };
  for (const field of TIMES) {
    const value = task[field];
    if (value instanceof Date) task[field] = value.toJSON();
    else if (typeof value === 'string' && !ISO_DATE.test(value)) {
      task[field] = fromNow(value, `${field} in ${source}`).toJSON();
    }
  }
  task.created ??= now.toJSON();
  task.deadline ??= new Date(now.getTime() + 24 * 3600_000).toJSON();
  if (task.taskQueueId === undefined && task.provisionerId === undefined) {
    task.taskQueueId = LOCAL_TASK_QUEUE;
  }
  task.payload ??= {};
  const metadata = (task.metadata ?? {}) as Record<string, unknown>;
  if (typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new UsageError(`metadata in ${source} must be a mapping`);
  }
  task.metadata = {
    name: basename(source),
    description: '',
    owner: 'nobody@localhost',
    source: 'https://localhost/',
    ...metadata,
  };
  return task;
}
