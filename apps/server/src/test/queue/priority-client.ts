import taskcluster from 'taskcluster-client';
import type { TestPlatform } from './harness.js';

/**
 * The published taskcluster-client (87.x) predates changeTaskPriority and
 * changeTaskGroupPriority; this client class is built by that library's own
 * createClient from the two entries as Taskcluster's current API reference declares
 * them, so the calls are signed and sent exactly as a newer client would.
 */
const PriorityQueue = taskcluster.createClient(
  {
    $schema: '/schemas/common/api-reference-v0.json#',
    apiVersion: 'v1',
    serviceName: 'queue',
    title: 'Queue Service (priority endpoints)',
    description: 'changeTaskPriority and changeTaskGroupPriority',
    entries: [
      {
        type: 'function',
        name: 'changeTaskPriority',
        method: 'post',
        route: '/task/<taskId>/priority',
        args: ['taskId'],
        query: [],
        input: 'v1/change-task-priority-request.json#',
        output: 'v1/task-status-response.json#',
        scopes: {
          AnyOf: [
            'queue:change-task-priority:<taskId>',
            'queue:change-task-priority-in-queue:<taskQueueId>',
          ],
        },
        stability: 'experimental',
        category: 'Tasks',
        title: 'Change Task Priority',
        description: 'Change the priority of an unresolved task.',
      },
      {
        type: 'function',
        name: 'changeTaskGroupPriority',
        method: 'post',
        route: '/task-group/<taskGroupId>/priority',
        args: ['taskGroupId'],
        query: [],
        input: 'v1/change-task-priority-request.json#',
        output: 'v1/task-group-priority-change-response.json#',
        scopes: 'queue:change-task-group-priority:<schedulerId>/<taskGroupId>',
        stability: 'experimental',
        category: 'Task-Groups',
        title: 'Change Task Group Priority',
        description: 'Change the priority of the unresolved tasks of a group.',
      },
    ],
  },
  'PriorityQueue',
);

/** A client for the priority endpoints holding temporary credentials with exactly `scopes`. */
export function priorityClient(platform: TestPlatform, scopes: string[]): any {
  const credentials = taskcluster.createTemporaryCredentials({
    expiry: new Date(Date.now() + 60 * 60 * 1000),
    scopes,
    credentials: platform.root,
  });
  return new PriorityQueue({ rootUrl: platform.rootUrl, credentials, retries: 0 });
}
