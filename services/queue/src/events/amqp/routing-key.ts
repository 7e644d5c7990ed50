import type { GroupEvent, GroupExchange } from '../group-events.js';
import type { TaskEvent } from '../task-events.js';
import { queueExchanges } from './exchanges.js';

export { DEFAULT_EXCHANGE_PREFIX } from './exchanges.js';

/**
 * The exchanges declared (topic, durable) as soon as the broker connection opens, so a
 * consumer can bind before the first message: every exchange the queue declares.
 */
export const TASK_EXCHANGES: readonly string[] = queueExchanges.exchanges.map((e) => e.exchange);

/** AMQP routing keys (and so CC entries) are short strings: 255 bytes at most. */
const MAX_ROUTING_KEY_BYTES = 255;

/**
 * One word of the routing key. Taskcluster writes `_` for a missing part, so a
 * consumer can always bind by position. An identifier that would split into two
 * words cannot occur (the API admits none with a dot), but if one ever did it would
 * shift every later word and misroute the message, so it is written as `_` instead.
 */
function word(value: string | number | undefined): string {
  if (value === undefined) return '_';
  const text = String(value);
  return text === '' || text.includes('.') ? '_' : text;
}

/**
 * The primary routing key of a task message (artifact-created included), exactly as
 * Taskcluster's queue builds it:
 * `primary.<taskId>.<runId>.<workerGroup>.<workerId>.<provisionerId>.<workerType>.<schedulerId>.<taskGroupId>.<reserved>`.
 * The worker words come from the message body, so `task-pending` (which names no worker)
 * has `_` there even when a previous run had one, as in Taskcluster. `reserved` is
 * always `_`; consumers match it with `#`.
 */
export function taskRoutingKey(event: TaskEvent): string {
  const { body } = event;
  return [
    'primary',
    word(event.taskId),
    word(body.runId),
    word(body.workerGroup),
    word(body.workerId),
    word(body.status.provisionerId),
    word(body.status.workerType),
    word(body.status.schedulerId),
    word(body.status.taskGroupId),
    '_',
  ].join('.');
}

/**
 * The routing key of a task-group message, as Taskcluster's queue builds it:
 * `primary.<taskGroupId>.<schedulerId>.<reserved>`, `reserved` always `_`.
 */
export function groupRoutingKey(event: GroupEvent<GroupExchange>): string {
  return ['primary', word(event.taskGroupId), word(event.body.schedulerId), '_'].join('.');
}

/**
 * The CC routing keys of a task message: `route.<r>` for each of the task's routes,
 * which creating the task required `queue:route:<r>` for. The API bounds a route to
 * 249 characters so that `route.<r>` fits a routing key; one of multi-byte characters
 * can still exceed 255 bytes, and is left out (returned in `skipped`) rather than
 * making the broker refuse the whole message.
 */
export function ccRoutes(routes: readonly string[]): { cc: string[]; skipped: string[] } {
  const cc: string[] = [];
  const skipped: string[] = [];
  for (const route of routes) {
    const key = `route.${route}`;
    if (Buffer.byteLength(key, 'utf8') <= MAX_ROUTING_KEY_BYTES) cc.push(key);
    else skipped.push(route);
  }
  return { cc, skipped };
}
