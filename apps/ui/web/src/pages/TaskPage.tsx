import { useState } from 'react';
import type { Artifact, Run, TaskStatus } from 'taskcluster-client-web';
import { describeFailure, queueFor } from '../lib/clients.js';
import { Link } from '../lib/Link.js';
import { actionAllowed } from '../lib/permissions.js';
import { groupPath, logPath } from '../lib/router.js';
import type { Session } from '../lib/session.js';
import { useLoad } from '../lib/use-load.js';

interface TaskView {
  definition: Record<string, unknown>;
  status: TaskStatus;
  artifacts: Artifact[];
}

export function TaskPage({ session, taskId }: { session: Session; taskId: string }) {
  const queue = queueFor(session);
  const [loaded, reload] = useLoad<TaskView>(taskId, async () => {
    const [definition, { status }] = await Promise.all([queue.task(taskId), queue.status(taskId)]);
    const lastRun = status.runs.at(-1);
    const artifacts = lastRun ? (await queue.listArtifacts(taskId, lastRun.runId)).artifacts : [];
    return { definition, status, artifacts };
  });
  if (loaded.state === 'loading') return <p role="status">Loading task {taskId}…</p>;
  if (loaded.state === 'failed') {
    return (
      <section>
        <h1>Task {taskId}</h1>
        <p className="error" role="alert">
          {loaded.message}
        </p>
      </section>
    );
  }
  const { definition, status, artifacts } = loaded.value;
  const metadata = (definition.metadata ?? {}) as { name?: string; description?: string };
  const lastRun = status.runs.at(-1);
  return (
    <section className="task-page">
      <h1>{metadata.name ?? taskId}</h1>
      <dl className="facts">
        <dt>Task ID</dt>
        <dd>
          <code>{taskId}</code>
        </dd>
        <dt>State</dt>
        <dd>
          <span className={`state state-${status.state}`}>{status.state}</span>
        </dd>
        <dt>Task queue</dt>
        <dd>{status.taskQueueId}</dd>
        <dt>Task group</dt>
        <dd>
          <Link to={groupPath(status.taskGroupId)}>
            <code>{status.taskGroupId}</code>
          </Link>
        </dd>
        <dt>Deadline</dt>
        <dd>{formatTime(status.deadline)}</dd>
        <dt>Retries left</dt>
        <dd>{status.retriesLeft}</dd>
      </dl>
      <Actions
        session={session}
        status={status}
        projectId={typeof definition.projectId === 'string' ? definition.projectId : 'none'}
        onChanged={reload}
      />
      <h2>Runs</h2>
      {status.runs.length === 0 ? (
        <p>No run yet.</p>
      ) : (
        <RunTimeline taskId={taskId} runs={status.runs} />
      )}
      <h2>Artifacts{lastRun ? ` of run ${lastRun.runId}` : ''}</h2>
      {lastRun ? (
        <ArtifactTable
          session={session}
          taskId={taskId}
          runId={lastRun.runId}
          artifacts={artifacts}
        />
      ) : (
        <p>None before the first run.</p>
      )}
      <h2>Definition</h2>
      <pre className="definition" tabIndex={0} aria-label="Task definition (JSON)">
        {JSON.stringify(definition, null, 2)}
      </pre>
    </section>
  );
}

function Actions(props: {
  session: Session;
  status: TaskStatus;
  projectId: string;
  onChanged: () => void;
}) {
  const [message, setMessage] = useState<string>();
  const run = async (action: 'cancel-task' | 'rerun-task') => {
    const queue = queueFor(props.session);
    try {
      if (action === 'cancel-task') await queue.cancelTask(props.status.taskId);
      else await queue.rerunTask(props.status.taskId);
      setMessage(action === 'cancel-task' ? 'Cancelled.' : 'A new run was scheduled.');
      props.onChanged();
    } catch (err) {
      setMessage(describeFailure(err));
    }
  };
  const buttons = (['cancel-task', 'rerun-task'] as const).map((action) => {
    const verdict = actionAllowed(action, props.session.scopes, props.status, props.projectId);
    const label = action === 'cancel-task' ? 'Cancel task' : 'Rerun task';
    const reasonId = `${action}-reason`;
    return (
      <div key={action} className="action">
        <button
          type="button"
          disabled={!verdict.allowed}
          aria-describedby={verdict.allowed ? undefined : reasonId}
          onClick={() => void run(action)}
        >
          {label}
        </button>
        {!verdict.allowed && (
          <span id={reasonId} className="hint">
            Not available: {verdict.reason}.
          </span>
        )}
      </div>
    );
  });
  return (
    <div className="actions">
      {buttons}
      {message && <p role="status">{message}</p>}
    </div>
  );
}

function RunTimeline({ taskId, runs }: { taskId: string; runs: Run[] }) {
  return (
    <ol className="timeline">
      {runs.map((run) => (
        <li key={run.runId} className={`run state-${run.state}`}>
          <h3>
            Run {run.runId}: <span className={`state state-${run.state}`}>{run.state}</span>
          </h3>
          <ul>
            <li>
              Scheduled {formatTime(run.scheduled)} ({run.reasonCreated})
            </li>
            {run.started && (
              <li>
                Started {formatTime(run.started)} on {run.workerGroup}/{run.workerId}
              </li>
            )}
            {run.resolved && (
              <li>
                Resolved {formatTime(run.resolved)} ({run.reasonResolved})
              </li>
            )}
          </ul>
          {run.started && <Link to={logPath(taskId, run.runId)}>Log of run {run.runId}</Link>}
        </li>
      ))}
    </ol>
  );
}

function ArtifactTable(props: {
  session: Session;
  taskId: string;
  runId: number;
  artifacts: Artifact[];
}) {
  const [error, setError] = useState<string>();
  if (props.artifacts.length === 0) return <p>No artifacts.</p>;
  // A signed URL (valid 15 minutes, for this artifact only) made at the click: the
  // download needs no credentials in the browser's hands, and none in the URL.
  const download = async (name: string) => {
    const queue = queueFor(props.session);
    try {
      // The published client takes the method itself and reads its declaration.
      // eslint-disable-next-line @typescript-eslint/unbound-method
      const url = await queue.buildSignedUrl(queue.getArtifact, props.taskId, props.runId, name);
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.download = name.split('/').at(-1) ?? 'artifact';
      anchor.rel = 'noopener';
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
    } catch (err) {
      setError(describeFailure(err));
    }
  };
  return (
    <>
      <table className="artifacts">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Expires</th>
            <th scope="col">
              <span className="visually-hidden">Download</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.artifacts.map((artifact) => (
            <tr key={artifact.name}>
              <td>
                <code>{artifact.name}</code>
              </td>
              <td>{artifact.contentType}</td>
              <td>{formatTime(artifact.expires)}</td>
              <td>
                <button
                  type="button"
                  aria-label={`Download ${artifact.name}`}
                  onClick={() => void download(artifact.name)}
                >
                  Download
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

export const formatTime = (iso: string): string => new Date(iso).toLocaleString();
