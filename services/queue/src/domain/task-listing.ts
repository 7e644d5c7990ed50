import { queries, type Queryable } from '@bulwark/db';
import { taskDefinitionJson, type TaskDefinition } from './task-definition.js';
import { taskStatusJson, type TaskStatusJson } from './task-status.js';

type TaskRow = queries.queueTasks.TaskRow;

/** Each task's definition and status, its runs fetched for the whole page in one query. */
export async function definitionsAndStatuses(
  db: Queryable,
  tasks: readonly TaskRow[],
): Promise<{ taskId: string; task: TaskDefinition; status: TaskStatusJson }[]> {
  const runs = await queries.queueRuns.getRunsOfTasks(
    db,
    tasks.map((t) => t.taskId),
  );
  return tasks.map((t) => ({
    taskId: t.taskId,
    task: taskDefinitionJson(t),
    status: taskStatusJson(t, runs.get(t.taskId) ?? []),
  }));
}
