import { ApiError, notFound, Reply, type ApiRequest } from '@bulwark/api';
import { queries } from '@bulwark/db';
import { loadTaskState, parseEventId } from '../events/task-events.js';
import { taskIdParam } from '../schemas/common.js';
import { queueApi } from './definition.js';

const STREAM_HEADERS = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  // Proxies that buffer responses (nginx) would hold events back.
  'x-accel-buffering': 'no',
});

/**
 * Only a client that asks for `text/event-stream` (EventSource always does) gets a
 * stream. A JSON client, one built from this API's reference for instance, gets a
 * clear 400 instead of a request that never ends.
 */
function requireEventStream(req: ApiRequest<unknown, unknown, unknown>): void {
  const accept = req.raw.headers.accept ?? '';
  const wanted = accept
    .split(',')
    .some((part) => part.split(';')[0]?.trim().toLowerCase() === 'text/event-stream');
  if (!wanted) {
    throw new ApiError(
      'InputError',
      'This endpoint sends server-sent events: send `Accept: text/event-stream`',
    );
  }
}

/** The client's Last-Event-ID, checked like any other input (S10). */
function lastEventId(
  req: ApiRequest<unknown, unknown, unknown>,
): { taskId: string; position: number } | undefined {
  const header = req.raw.headers['last-event-id'];
  if (header === undefined || header === '') return undefined;
  const parsed = typeof header === 'string' ? parseEventId(header) : undefined;
  if (!parsed) {
    throw new ApiError(
      'InvalidRequestArguments',
      'Last-Event-ID must be an event id this endpoint sent (`<taskId>.<number>`)',
    );
  }
  return parsed;
}

const DESCRIPTION_TAIL = [
  'Answers `text/event-stream` (send `Accept: text/event-stream`); each event is',
  '`event: <exchange>` with `data:` the body of Taskcluster’s Pulse message for that',
  'exchange (`version`, `status`, `runId`, worker fields, `task.tags`) and',
  '`id: <taskId>.<position>`. A comment line every 15 s keeps the stream alive; the',
  'server ends it after an hour or when it shuts down, and EventSource reconnects.',
  'Authenticate with a Hawk header or a bewit (a signed URL), as for any GET.',
].join(' ');

queueApi.declare({
  name: 'taskEvents',
  method: 'GET',
  route: '/task/<taskId>/events',
  params: { taskId: taskIdParam },
  // The events carry the task's status, so they need what the status endpoint needs.
  scopes: 'queue:status:<taskId>',
  stability: 'experimental',
  category: 'Events',
  title: 'Watch a Task',
  description: [
    'Streams the task’s state changes: first every change it went through so far',
    '(`task-defined`, then per run `task-pending`, `task-running` and its resolution),',
    'or only those after `Last-Event-ID` when reconnecting, then each change as it',
    'happens on any replica, with `artifact-created` (live only, without an id) when an',
    'artifact of a run becomes readable. A rerun is a new run, so the stream stays open',
    'after the task resolves.',
    DESCRIPTION_TAIL,
  ].join(' '),
  async handler(ctx, req) {
    const { taskId } = req.params;
    requireEventStream(req);
    const resume = lastEventId(req);
    if (resume && resume.taskId !== taskId) {
      throw new ApiError('InvalidRequestArguments', 'Last-Event-ID names another task');
    }
    if (req.raw.method === 'HEAD') {
      if (!(await queries.queueTasks.getTask(ctx.pool, taskId))) throw notFound('Task');
      return new Reply(200, '', STREAM_HEADERS);
    }
    const stream = await ctx.events.open({ taskId }, req.caller.clientId);
    try {
      // Read only now that this replica listens: no change can fall in between.
      const state = await loadTaskState(ctx.pool, taskId);
      if (!state) throw notFound('Task');
      if (resume) stream.resumeAfter(taskId, resume.position);
      ctx.events.startTaskStream(stream, state);
    } catch (err) {
      stream.close();
      throw err;
    }
    return new Reply(200, stream.readable, STREAM_HEADERS);
  },
});

queueApi.declare({
  name: 'taskGroupEvents',
  method: 'GET',
  route: '/task-group/<taskGroupId>/events',
  params: { taskGroupId: taskIdParam },
  // The events carry each task's status, as listTaskGroup does.
  scopes: 'queue:list-task-group:<taskGroupId>',
  stability: 'experimental',
  category: 'Events',
  title: 'Watch a Task Group',
  description: [
    'Streams the state changes of every task in the group: first, for each task, the',
    'latest change (where it stands now), then each change as it happens on any',
    'replica, tasks added later included. On reconnecting the same snapshot comes',
    'first again, so nothing is missed; `Last-Event-ID` is checked but not needed.',
    '`task-group-resolved` (without an id) follows whenever no task of the group is',
    'left unscheduled, pending or running, the snapshot included.',
    DESCRIPTION_TAIL,
  ].join(' '),
  async handler(ctx, req) {
    const { taskGroupId } = req.params;
    requireEventStream(req);
    lastEventId(req);
    if (req.raw.method === 'HEAD') {
      if (!(await queries.queueGroups.getTaskGroup(ctx.pool, taskGroupId))) {
        throw notFound('Task group');
      }
      return new Reply(200, '', STREAM_HEADERS);
    }
    const stream = await ctx.events.open({ taskGroupId }, req.caller.clientId);
    try {
      const group = await queries.queueGroups.getTaskGroup(ctx.pool, taskGroupId);
      if (!group) throw notFound('Task group');
      ctx.events.startGroupStream(stream, taskGroupId);
    } catch (err) {
      stream.close();
      throw err;
    }
    return new Reply(200, stream.readable, STREAM_HEADERS);
  },
});
