import { useEffect, useRef, useState, type FormEvent, type UIEvent } from 'react';
import { parseAnsi } from '../lib/ansi.js';
import { describeFailure, queueFor } from '../lib/clients.js';
import { Link } from '../lib/Link.js';
import { LineCollector, WORKER_LINE_PREFIX, isWorkerLine } from '../lib/log-lines.js';
import { taskPath } from '../lib/router.js';
import type { Session } from '../lib/session.js';

const LINE_HEIGHT = 20;
/** Lines drawn beyond the visible ones, so scrolling shows no gap. */
const OVERSCAN = 30;

type StreamState =
  | { state: 'waiting' }
  | { state: 'streaming' }
  | { state: 'complete' }
  | { state: 'failed'; message: string };

/** How long to wait for a new run's log to be published (the worker does so as it starts). */
const PUBLISH_WAIT_SECONDS = 120;

/**
 * Opens the run's log through a signed URL (made anew for each try: it names no
 * credential, and lasts 15 minutes). A run that just started may not have published its
 * log yet: a 404 is tried again each second for a while.
 */
async function openLog(
  session: Session,
  taskId: string,
  runId: number,
  signal: AbortSignal,
  onWaiting: () => void,
): Promise<Response> {
  const queue = queueFor(session);
  for (let attempt = 0; ; attempt += 1) {
    const url = await queue.buildSignedUrl(
      // The published client takes the method itself and reads its declaration.
      // eslint-disable-next-line @typescript-eslint/unbound-method
      queue.getArtifact,
      taskId,
      runId,
      'public/logs/live.log',
    );
    const response = await fetch(url, { signal });
    if (response.status !== 404 || attempt >= PUBLISH_WAIT_SECONDS) return response;
    await response.body?.cancel();
    onWaiting();
    await new Promise((done) => setTimeout(done, 1000));
    signal.throwIfAborted();
  }
}

/** The line a URL's `#L<n>` names (1-based), if any. */
const lineFromHash = (): number | undefined => {
  const match = /^#L([1-9][0-9]{0,8})$/.exec(window.location.hash);
  return match ? Number(match[1]) : undefined;
};

/**
 * Streams a run's log (its `public/logs/live.log`, through a signed URL: live while the
 * run lasts, the uploaded log after) and shows it virtualized: only the lines in view
 * are in the DOM, so a log of millions of lines scrolls as one of ten.
 */
export function LogPage({
  session,
  taskId,
  runId,
}: {
  session: Session;
  taskId: string;
  runId: number;
}) {
  const collector = useRef(new LineCollector());
  const viewport = useRef<HTMLDivElement>(null);
  const [, setVersion] = useState(0);
  const [stream, setStream] = useState<StreamState>({ state: 'streaming' });
  const [follow, setFollow] = useState(lineFromHash() === undefined);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewHeight, setViewHeight] = useState(600);
  const [selected, setSelected] = useState(lineFromHash());
  const jumped = useRef(false);
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<string>();

  useEffect(() => {
    const abort = new AbortController();
    collector.current = new LineCollector();
    let frame: number | undefined;
    // At most one render per frame, however fast the chunks come.
    const changed = () => {
      frame ??= requestAnimationFrame(() => {
        frame = undefined;
        setVersion((n) => n + 1);
      });
    };
    (async () => {
      const response = await openLog(session, taskId, runId, abort.signal, () =>
        setStream({ state: 'waiting' }),
      );
      if (!response.ok || !response.body) {
        throw new Error(`The log could not be read (HTTP ${response.status})`);
      }
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        collector.current.push(value);
        setStream((previous) => (previous.state === 'waiting' ? { state: 'streaming' } : previous));
        changed();
      }
      collector.current.end();
      changed();
      setStream({ state: 'complete' });
    })().catch((err: unknown) => {
      if (!abort.signal.aborted) setStream({ state: 'failed', message: describeFailure(err) });
    });
    return () => {
      abort.abort();
      if (frame !== undefined) cancelAnimationFrame(frame);
    };
  }, [session, taskId, runId]);

  const count = collector.current.count;

  useEffect(() => {
    const element = viewport.current;
    if (!element) return;
    setViewHeight(element.clientHeight);
    if (follow) element.scrollTop = element.scrollHeight;
    else if (!jumped.current && selected !== undefined && selected <= count) {
      jumped.current = true;
      element.scrollTop = Math.max(0, (selected - 5) * LINE_HEIGHT);
    }
  });

  /** Selects the next line after the selected one that contains the query, wrapping. */
  const findNext = (event: FormEvent) => {
    event.preventDefault();
    const needle = query.toLowerCase();
    if (!needle) return;
    const lines = collector.current;
    const from = selected ?? 0;
    for (let step = 1; step <= lines.count; step += 1) {
      const index = (from - 1 + step) % lines.count;
      if (lines.line(index).toLowerCase().includes(needle)) {
        const number = index + 1;
        setFollow(false);
        setSelected(number);
        setFound(`Line ${number}`);
        window.history.replaceState(null, '', `#L${number}`);
        if (viewport.current) {
          viewport.current.scrollTop = Math.max(0, (number - 5) * LINE_HEIGHT);
        }
        return;
      }
    }
    setFound('Not found');
  };

  const onScroll = (event: UIEvent<HTMLDivElement>) => {
    const element = event.currentTarget;
    setScrollTop(element.scrollTop);
    const atBottom = element.scrollTop + element.clientHeight >= element.scrollHeight - LINE_HEIGHT;
    if (follow && !atBottom) setFollow(false);
  };

  const first = Math.max(0, Math.floor(scrollTop / LINE_HEIGHT) - OVERSCAN);
  const last = Math.min(count, Math.ceil((scrollTop + viewHeight) / LINE_HEIGHT) + OVERSCAN);
  const rows = [];
  for (let index = first; index < last; index += 1) {
    const text = collector.current.line(index);
    const number = index + 1;
    const worker = isWorkerLine(text);
    rows.push(
      <div
        key={index}
        id={`L${number}`}
        className={`log-line${worker ? ' worker-line' : ''}${selected === number ? ' selected' : ''}`}
        style={{ transform: `translateY(${index * LINE_HEIGHT}px)` }}
      >
        <a
          className="line-number"
          href={`#L${number}`}
          onClick={(event) => {
            event.preventDefault();
            window.history.replaceState(null, '', `#L${number}`);
            setSelected(number);
            setFollow(false);
          }}
        >
          {number}
        </a>
        {worker && <span className="worker-badge">worker</span>}
        <span className="log-text">
          {parseAnsi(worker ? text.slice(WORKER_LINE_PREFIX.length) : text).map((segment, i) => (
            <span key={i} className={segment.className || undefined}>
              {segment.text}
            </span>
          ))}
        </span>
      </div>,
    );
  }

  return (
    <section className="log-page">
      <h1>
        Log of run {runId} of <Link to={taskPath(taskId)}>task {taskId}</Link>
      </h1>
      <div className="log-toolbar">
        <p role="status" className="log-status">
          {stream.state === 'waiting' && 'Waiting for the worker to publish the log…'}
          {stream.state === 'streaming' && `Streaming… ${count} lines`}
          {stream.state === 'complete' && `Complete: ${count} lines`}
          {stream.state === 'failed' && stream.message}
        </p>
        <label className="follow">
          <input
            type="checkbox"
            checked={follow}
            onChange={(event) => setFollow(event.target.checked)}
          />
          Follow the end of the log
        </label>
        <form role="search" className="inline-form" onSubmit={findNext}>
          <label htmlFor="log-search">Find in log</label>
          <input
            id="log-search"
            type="search"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
          />
          <button type="submit">Find next</button>
          {found && <span className="hint">{found}</span>}
        </form>
      </div>
      <p className="hint">
        Lines marked <span className="worker-badge">worker</span> are the worker&apos;s own;
        everything else is the task&apos;s output, which can never imitate them.
      </p>
      <div
        className="log-viewport"
        ref={viewport}
        onScroll={onScroll}
        tabIndex={0}
        role="region"
        aria-label={`Log of run ${runId}`}
      >
        <div className="log-lines" style={{ height: `${count * LINE_HEIGHT}px` }}>
          {rows}
        </div>
      </div>
    </section>
  );
}
