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

/** Taskcluster exchanges (taskcluster-client's QueueEvents) the queue does not publish. */
export const LACKED_EXCHANGES: Record<string, string> = {};
