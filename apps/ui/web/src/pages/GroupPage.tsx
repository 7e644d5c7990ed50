import { useEffect, useMemo, useRef, useState, type UIEvent } from 'react';
import type { TaskStatus } from 'taskcluster-client-web';
import { describeFailure, queueFor } from '../lib/clients.js';
import {
  changedAt,
  countByState,
  STATES,
  visibleRows,
  type GroupRow,
  type SortKey,
} from '../lib/group-rows.js';
import { Link } from '../lib/Link.js';
import { taskPath } from '../lib/router.js';
import type { Session } from '../lib/session.js';

const ROW_HEIGHT = 36;
const OVERSCAN = 10;
/** The events that move a task to a new state (docs/events.md). */
const STATE_EVENTS = [
  'task-defined',
  'task-pending',
  'task-running',
  'task-completed',
  'task-failed',
  'task-exception',
];
/**
 * The queue's group stream (a Bulwark endpoint the published client does not list),
 * declared as the served reference declares it, so the client can sign a URL for it:
 * EventSource cannot send an Authorization header.
 */
const TASK_GROUP_EVENTS = {
  entry: {
    type: 'function',
    name: 'taskGroupEvents',
    method: 'get',
    route: '/task-group/<taskGroupId>/events',
    args: ['taskGroupId'],
    query: [],
  },
};
/** How long the stream's signed URL lasts; EventSource reconnects with it until then. */
const STREAM_SECONDS = 3600;

type Loading = { state: 'loading' } | { state: 'ready' } | { state: 'failed'; message: string };

const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'name', label: 'Name' },
  { key: 'state', label: 'State' },
  { key: 'changed', label: 'Last change' },
];

/**
 * A task group: counts by state and a filterable, sortable table of its tasks, loaded
 * with listTaskGroup and then kept current by the group's event stream (no polling).
 * Only the rows in view are in the page.
 */
export function GroupPage({ session, taskGroupId }: { session: Session; taskGroupId: string }) {
  const rows = useRef(new Map<string, GroupRow>());
  const viewport = useRef<HTMLDivElement>(null);
  const [version, setVersion] = useState(0);
  const [loading, setLoading] = useState<Loading>({ state: 'loading' });
  const [live, setLive] = useState('connecting');
  const [text, setText] = useState('');
  const [stateFilter, setStateFilter] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({
    key: 'name',
    descending: false,
  });
  const [scrollTop, setScrollTop] = useState(0);
  const [viewHeight, setViewHeight] = useState(600);

  useEffect(() => {
    rows.current = new Map();
    let stopped = false;
    let source: EventSource | undefined;
    let frame: number | undefined;
    const changed = () => {
      frame ??= requestAnimationFrame(() => {
        frame = undefined;
        setVersion((n) => n + 1);
      });
    };
    const put = (status: TaskStatus, name: string | undefined) => {
      const known = rows.current.get(status.taskId);
      rows.current.set(status.taskId, {
        taskId: status.taskId,
        name: name ?? known?.name,
        state: status.state,
        changed: changedAt(status),
      });
    };
    (async () => {
      const queue = queueFor(session);
      let continuationToken: string | undefined;
      do {
        const page = await queue.listTaskGroup(
          taskGroupId,
          continuationToken ? { continuationToken, limit: 1000 } : { limit: 1000 },
        );
        for (const { status, task } of page.tasks) put(status, task.metadata?.name);
        continuationToken = page.continuationToken;
      } while (continuationToken && !stopped);
      if (stopped) return;
      setLoading({ state: 'ready' });
      changed();
      const url = await queue.buildSignedUrl(TASK_GROUP_EVENTS as never, taskGroupId, {
        expiration: STREAM_SECONDS,
      });
      if (stopped) return;
      source = new EventSource(url);
      source.onopen = () => setLive('live');
      source.onerror = () => setLive('reconnecting');
      for (const name of STATE_EVENTS) {
        source.addEventListener(name, (event: MessageEvent<string>) => {
          const { status } = JSON.parse(event.data) as { status: TaskStatus };
          put(status, undefined);
          changed();
        });
      }
    })().catch((err: unknown) => {
      if (!stopped) setLoading({ state: 'failed', message: describeFailure(err) });
    });
    return () => {
      stopped = true;
      source?.close();
      if (frame !== undefined) cancelAnimationFrame(frame);
    };
  }, [session, taskGroupId]);

  // `version` says when the rows in the ref changed.
  const counts = useMemo(() => countByState(rows.current.values()), [version]);
  const shown = useMemo(
    () => visibleRows(rows.current.values(), { text, state: stateFilter }, sort),
    [version, text, stateFilter, sort],
  );

  useEffect(() => {
    if (viewport.current) setViewHeight(viewport.current.clientHeight);
  }, [loading]);

  const onScroll = (event: UIEvent<HTMLDivElement>) => setScrollTop(event.currentTarget.scrollTop);
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(shown.length, Math.ceil((scrollTop + viewHeight) / ROW_HEIGHT) + OVERSCAN);

  const sortBy = (key: SortKey) =>
    setSort((previous) => ({
      key,
      descending: previous.key === key ? !previous.descending : false,
    }));

  return (
    <section className="group-page">
      <h1>Task group {taskGroupId}</h1>
      {loading.state === 'failed' && (
        <p className="error" role="alert">
          {loading.message}
        </p>
      )}
      {loading.state === 'loading' && <p role="status">Loading the group…</p>}
      {loading.state === 'ready' && (
        <>
          <p className="hint" role="status">
            {rows.current.size} tasks;{' '}
            {live === 'live' ? 'live updates on' : `live updates ${live}`}
          </p>
          <ul className="counts" aria-label="Tasks by state">
            {[...counts].map(([state, count]) => (
              <li key={state} className={`state-${state}`}>
                <span className="count">{count}</span> {state}
              </li>
            ))}
          </ul>
          <div className="inline-form">
            <label htmlFor="group-filter">Filter</label>
            <input
              id="group-filter"
              type="search"
              value={text}
              placeholder="name or task ID"
              onChange={(event) => setText(event.target.value)}
            />
            <label htmlFor="group-state">State</label>
            <select
              id="group-state"
              value={stateFilter}
              onChange={(event) => setStateFilter(event.target.value)}
            >
              <option value="">any</option>
              {STATES.map((state) => (
                <option key={state} value={state}>
                  {state}
                </option>
              ))}
            </select>
            <span className="hint">{shown.length} shown</span>
          </div>
          <div
            className="group-table"
            ref={viewport}
            onScroll={onScroll}
            tabIndex={0}
            role="region"
            aria-label="Tasks of the group"
          >
            <table>
              <thead>
                <tr>
                  {COLUMNS.map((column) => (
                    <th
                      key={column.key}
                      scope="col"
                      aria-sort={
                        sort.key === column.key
                          ? sort.descending
                            ? 'descending'
                            : 'ascending'
                          : 'none'
                      }
                    >
                      <button type="button" className="sort" onClick={() => sortBy(column.key)}>
                        {column.label}
                      </button>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {first > 0 && (
                  <tr aria-hidden="true" style={{ height: `${first * ROW_HEIGHT}px` }}>
                    <td colSpan={3} />
                  </tr>
                )}
                {shown.slice(first, last).map((row) => (
                  <tr key={row.taskId} className="task-row">
                    <td>
                      <Link to={taskPath(row.taskId)}>{row.name ?? row.taskId}</Link>
                    </td>
                    <td>
                      <span className={`state state-${row.state}`}>{row.state}</span>
                    </td>
                    <td>{row.changed ? new Date(row.changed).toLocaleString() : ''}</td>
                  </tr>
                ))}
                {last < shown.length && (
                  <tr
                    aria-hidden="true"
                    style={{ height: `${(shown.length - last) * ROW_HEIGHT}px` }}
                  >
                    <td colSpan={3} />
                  </tr>
                )}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
