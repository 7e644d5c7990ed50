/**
 * Where Bulwark's served schemas deliberately differ from Taskcluster's published ones
 * (packages/api/fixtures/taskcluster-schemas), each with its reason. references.test.ts fails on any
 * difference not listed here, and on any listed one that no longer exists.
 */
export const DIFFERENCES: Record<string, string> = {};

function differ(reason: string, ...found: string[]): void {
  for (const f of found) DIFFERENCES[f] = reason;
}

differ(
  'Bulwark declares what its standard endpoints answer; Taskcluster declares no schema for them',
  ...['queue', 'object'].flatMap((service) =>
    ['ping', 'lbheartbeat', 'version', 'heartbeat'].map(
      (name) => `${service}.${name} output: declared only here`,
    ),
  ),
);

const TASK_LISTS = ['tasks', 'listTaskGroup', 'listDependentTasks', 'claimWork'];
const TASK_LISTS_BY_QUEUE = ['listPendingTasks', 'listClaimedTasks'];
differ(
  'a task definition as answered always has its projectId and expires (defaults filled in at ' +
    'creation), so the answer promises them; every answer valid here is valid in Taskcluster',
  ...[
    'queue.task output /',
    ...[...TASK_LISTS, ...TASK_LISTS_BY_QUEUE].map((name) => `queue.${name} output /tasks[]/task`),
  ].flatMap((where) => [
    `${where}: projectId required only here`,
    `${where}: expires required only here`,
  ]),
);

differ(
  'claimWork without `tasks` claims one task; Bulwark accepts what Taskcluster accepts and more',
  'queue.claimWork input /: tasks required only in Taskcluster',
);

differ(
  'getArtifact always answers with a redirect (303) to a signed URL, never a JSON body',
  'queue.getArtifact output: declared only in Taskcluster',
  'queue.getLatestArtifact output: declared only in Taskcluster',
);

// The quorum (docs/quorum.md): a task definition may carry `verification`, and a
// quorum task's status carries `quorum` and its runs `replica`. All three are absent
// for an ordinary task, so every answer about one stays valid in Taskcluster.
const STATUS_AT: [string, string][] = [
  ...[
    'status',
    'createTask',
    'scheduleTask',
    'rerunTask',
    'cancelTask',
    'reclaimTask',
    'reportCompleted',
    'reportFailed',
    'reportException',
  ].map((name): [string, string] => [`queue.${name} output`, '/status']),
  ['queue.statuses output', '/statuses[]/status'],
  ...['listTaskGroup', 'listDependentTasks', 'claimWork'].map((name): [string, string] => [
    `queue.${name} output`,
    '/tasks[]/status',
  ]),
  ...[
    'task-defined',
    'task-pending',
    'task-running',
    'artifact-created',
    'task-completed',
    'task-failed',
    'task-exception',
  ].map((name): [string, string] => [`message ${name}`, '/status']),
];
differ(
  'Bulwark extension: the status of a task verified by a quorum shows the quorum and which ' +
    'replica each run is; neither appears for an ordinary task',
  ...STATUS_AT.flatMap(([where, path]) => [
    `${where} ${path}: property quorum only here`,
    `${where} ${path}/runs[]: property replica only here`,
  ]),
);
differ(
  'Bulwark extension: a task may ask to be verified by a quorum of replicas; a task ' +
    'without it is answered without the field',
  'queue.createTask input /: property verification only here',
  'queue.task output /: property verification only here',
  ...[...TASK_LISTS, ...TASK_LISTS_BY_QUEUE].map(
    (name) => `queue.${name} output /tasks[]/task: property verification only here`,
  ),
);

/** Taskcluster exchanges (taskcluster-client's QueueEvents) the queue does not publish. */
export const LACKED_EXCHANGES: Record<string, string> = {};
