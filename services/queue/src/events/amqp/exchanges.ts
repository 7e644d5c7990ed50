import { ExchangesDefinition, type RoutingKeyPart } from '@bulwark/api';
import {
  artifactCreatedMessage,
  taskDefinedMessage,
  taskExceptionMessage,
  taskGroupChangedMessage,
  taskPendingMessage,
  taskResolvedByWorkerMessage,
  taskRunningMessage,
} from '../../schemas/messages.js';

/** Taskcluster's queue exchanges live under this prefix; consumers bind to these names. */
export const DEFAULT_EXCHANGE_PREFIX = 'exchange/taskcluster-queue/v1/';

const part = (
  name: string,
  summary: string,
  required: boolean,
  extra: Partial<RoutingKeyPart> = {},
): RoutingKeyPart => ({ name, summary, multipleWords: false, required, ...extra });

const KIND = part(
  'routingKeyKind',
  "Identifier for the routing-key kind. This is always `'primary'` for the formalized routing key.",
  true,
  { constant: 'primary' },
);
const RESERVED = part(
  'reserved',
  'Space reserved for future routing-key entries, you should always match this entry with `#`. As automatically done by our tooling, if not specified.',
  false,
  { multipleWords: true },
);

/**
 * The routing key of every task message, as routing-key.ts builds it (taskRoutingKey).
 * `runAndWorker` says which of runId, workerGroup and workerId the exchange always has
 * (Taskcluster marks them required per exchange: none for task-defined, the run for
 * task-pending, all three for a claimed run; failed and exception may come unclaimed).
 */
function taskRoutingKeyParts(runAndWorker: 'none' | 'run' | 'all'): RoutingKeyPart[] {
  const latest = (name: string) =>
    `\`${name}\` of latest run for the task, \`_\` if no run is exists for the task.`;
  return [
    KIND,
    part('taskId', '`taskId` for the task this message concerns', true),
    part('runId', latest('runId'), runAndWorker !== 'none'),
    part('workerGroup', latest('workerGroup'), runAndWorker === 'all'),
    part('workerId', latest('workerId'), runAndWorker === 'all'),
    part('provisionerId', '`provisionerId` this task is targeted at.', true),
    part('workerType', '`workerType` this task must run on.', true),
    part('schedulerId', '`schedulerId` this task was created by.', true),
    part('taskGroupId', '`taskGroupId` this task was created in.', true),
    RESERVED,
  ];
}

/** The routing key of task-group messages (groupRoutingKey). */
const GROUP_ROUTING_KEY: readonly RoutingKeyPart[] = [
  KIND,
  part('taskGroupId', '`taskGroupId` for the task-group this message concerns', true),
  part('schedulerId', '`schedulerId` for the task-group this message concerns', true),
  RESERVED,
];

const task = (
  name: string,
  exchange: string,
  runAndWorker: 'none' | 'run' | 'all',
  title: string,
  description: string,
  schema: Record<string, unknown>,
) => ({
  name,
  exchange,
  title,
  description,
  routingKey: taskRoutingKeyParts(runAndWorker),
  schemaName: `${exchange}-message.json`,
  schema,
});

/**
 * The queue's exchanges, as Taskcluster's queue declares them: the publisher declares
 * these exchanges, and `/references/queue/v1/exchanges.json` and the message schemas
 * are generated from this one list.
 */
export const queueExchanges = new ExchangesDefinition({
  serviceName: 'queue',
  title: 'Queue AMQP Exchanges',
  description: [
    'The exchanges the queue publishes task and task-group state changes to, as',
    "Taskcluster's queue does. Every message is CCed to `route.<route>` for each of the",
    "task's routes. Messages are published after the change commits, by one replica at a",
    'time, at least once: a consumer may see one twice.',
  ].join('\n'),
  exchangePrefix: DEFAULT_EXCHANGE_PREFIX,
  exchanges: [
    task(
      'taskDefined',
      'task-defined',
      'none',
      'Task Defined Messages',
      'A task was created. Its status is the task as defined: `unscheduled`, with no runs.',
      taskDefinedMessage,
    ),
    task(
      'taskPending',
      'task-pending',
      'run',
      'Task Pending Messages',
      'A run of the task became pending: the task is ready for a worker to claim.',
      taskPendingMessage,
    ),
    task(
      'taskRunning',
      'task-running',
      'all',
      'Task Running Messages',
      'A worker claimed a run of the task.',
      taskRunningMessage,
    ),
    task(
      'artifactCreated',
      'artifact-created',
      'all',
      'Artifact Creation Messages',
      'An artifact was created for a run of the task (for object artifacts: its upload finished).',
      artifactCreatedMessage,
    ),
    task(
      'taskCompleted',
      'task-completed',
      'all',
      'Task Completed Messages',
      'A run of the task was resolved as completed by its worker.',
      taskResolvedByWorkerMessage,
    ),
    task(
      'taskFailed',
      'task-failed',
      'none',
      'Task Failed Messages',
      'A run of the task was resolved as failed by its worker.',
      taskResolvedByWorkerMessage,
    ),
    task(
      'taskException',
      'task-exception',
      'none',
      'Task Exception Messages',
      'A run of the task was resolved as exception: reported by the worker, canceled, or its claim or deadline expired.',
      taskExceptionMessage,
    ),
    {
      name: 'taskGroupResolved',
      exchange: 'task-group-resolved',
      title: 'Task Group Resolved Messages',
      description:
        'Every task of the group is resolved. A group may resolve more than once, when a task is added to it or rerun.',
      routingKey: GROUP_ROUTING_KEY,
      schemaName: 'task-group-changed-message.json',
      schema: taskGroupChangedMessage,
    },
    {
      name: 'taskGroupSealed',
      exchange: 'task-group-sealed',
      title: 'Task Group Sealed Messages',
      description:
        'The group was sealed: no task can be added to it any more. Sent once, when sealTaskGroup first seals it.',
      routingKey: GROUP_ROUTING_KEY,
      schemaName: 'task-group-changed-message.json',
      schema: taskGroupChangedMessage,
    },
  ],
});
