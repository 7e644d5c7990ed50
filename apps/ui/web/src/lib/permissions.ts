import { satisfiesExpression } from '@bulwark/scopes';
import type { TaskStatus } from 'taskcluster-client-web';

/** The queue's scope expression for an action on a task (services/queue/src/api/scheduling.ts). */
function actionExpression(action: string, status: TaskStatus, projectId: string) {
  const { schedulerId, taskGroupId, taskId } = status;
  return {
    AnyOf: [
      `queue:${action}:${schedulerId}/${taskGroupId}/${taskId}`,
      `queue:${action}-in-project:${projectId}`,
      { AllOf: [`queue:${action}`, `assume:scheduler-id:${schedulerId}/${taskGroupId}`] },
    ],
  };
}

const UNRESOLVED = ['unscheduled', 'pending', 'running'];

/** Whether an action can be taken, and if not, why: shown beside the disabled button. */
export function actionAllowed(
  action: 'cancel-task' | 'rerun-task',
  scopes: readonly string[],
  status: TaskStatus,
  projectId: string,
): { allowed: true } | { allowed: false; reason: string } {
  if (action === 'cancel-task' && !UNRESOLVED.includes(status.state)) {
    return { allowed: false, reason: `the task is already ${status.state}` };
  }
  if (action === 'rerun-task' && UNRESOLVED.includes(status.state)) {
    return { allowed: false, reason: 'the task has not resolved yet' };
  }
  if (new Date(status.deadline).getTime() <= Date.now()) {
    return { allowed: false, reason: 'the task is past its deadline' };
  }
  if (!satisfiesExpression(scopes, actionExpression(action, status, projectId))) {
    return { allowed: false, reason: `your scopes do not include queue:${action} for this task` };
  }
  return { allowed: true };
}
