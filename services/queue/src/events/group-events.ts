import { queries, type Queryable } from '@bulwark/db';

/**
 * The body of Taskcluster's `task-group-resolved` message (its task-group-changed-message
 * schema): the group's expiry always, when it was sealed only if it was.
 */
export interface GroupEventBody {
  version: 1;
  taskGroupId: string;
  schedulerId: string;
  expires: string;
  sealed?: string;
}

/**
 * `task-group-resolved`: every task of the group is resolved (none unscheduled,
 * pending or running). A group can resolve more than once: a task added later, or a
 * rerun, makes it unresolved again, and its resolution is announced again.
 */
/** The group exchanges: the event streams send task-group-resolved; AMQP both. */
export type GroupExchange = 'task-group-resolved' | 'task-group-sealed';

export interface GroupEvent<TExchange extends GroupExchange = 'task-group-resolved'> {
  readonly exchange: TExchange;
  readonly taskGroupId: string;
  readonly body: GroupEventBody;
  /** When the group's last task resolved: the same for two reads of one resolution. */
  readonly resolvedAt: string;
}

/** The group's task-group-sealed event (AMQP only): the group as it is, once sealed. */
export async function loadGroupSealedEvent(
  db: Queryable,
  taskGroupId: string,
): Promise<GroupEvent<'task-group-sealed'> | undefined> {
  const group = await queries.queueGroups.getGroupResolution(db, taskGroupId);
  if (!group?.sealed) return undefined;
  return {
    exchange: 'task-group-sealed',
    taskGroupId,
    body: {
      version: 1,
      taskGroupId,
      schedulerId: group.schedulerId,
      expires: group.expires.toJSON(),
      sealed: group.sealed.toJSON(),
    },
    resolvedAt: group.lastResolved?.toJSON() ?? '',
  };
}

/** The group's task-group-resolved event if it is resolved now, else undefined. */
export async function loadGroupResolvedEvent(
  db: Queryable,
  taskGroupId: string,
): Promise<GroupEvent | undefined> {
  const group = await queries.queueGroups.getGroupResolution(db, taskGroupId);
  if (!group?.resolved || !group.lastResolved) return undefined;
  return {
    exchange: 'task-group-resolved',
    taskGroupId,
    body: {
      version: 1,
      taskGroupId,
      schedulerId: group.schedulerId,
      expires: group.expires.toJSON(),
      ...(group.sealed !== null ? { sealed: group.sealed.toJSON() } : {}),
    },
    resolvedAt: group.lastResolved.toJSON(),
  };
}

const RESOLVED_STATES: ReadonlySet<string> = new Set(['completed', 'failed', 'exception']);

/** Whether a change can be the one that resolves its group: a run's resolution. */
export function mayResolveGroup(change: queries.queueEvents.TaskChange): boolean {
  return 'state' in change && RESOLVED_STATES.has(change.state);
}
