import type { Migration } from '../migrate.js';

/**
 * Task state changes, announced to every replica with NOTIFY on `bulwark_task_events`
 * (queries/queue-events.ts names the channel and parses the payload).
 *
 * Triggers rather than NOTIFY statements in the queue's transactions, because a run
 * changes state in many places (createTask, scheduleTask, rerunTask, dependencies,
 * claimWork's multi-row claim, resolution, retries, claim expiry, deadlines, cancel,
 * group cancel) and any place added later, or a row fixed by hand, would otherwise
 * have to remember to announce it. A trigger fires for exactly the rows that changed,
 * inside the transaction that changed them, so a notification is delivered only if
 * that transaction commits, in commit order, and never for a rolled-back change.
 *
 * The payload is compact on purpose: NOTIFY payloads must stay under 8000 bytes and a
 * task's status (every run) does not fit that bound. Listeners read the status
 * themselves, and only for tasks somebody watches. Every field is bounded: taskId and
 * taskGroupId are slugids (22), runId at most 1000, state one of six words, so a
 * payload is about 110 bytes.
 *
 * A reclaim (taken_until only) is not a state change and notifies nothing (the WHEN
 * clause is checked without calling the function). Notifying transactions commit one
 * at a time (PostgreSQL serializes NOTIFY at commit to keep the queue in commit
 * order); the transactions that change run state already end by appending to the
 * audit chain, which serializes them the same way, so this adds no new bottleneck.
 */
export const taskEventNotifications: Migration = {
  version: 7,
  name: 'task state change notifications',
  up: `
    CREATE FUNCTION notify_task_defined() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('bulwark_task_events', json_build_object(
        'taskId', NEW.task_id,
        'taskGroupId', NEW.task_group_id,
        'state', 'unscheduled')::text);
      RETURN NULL;
    END
    $$;

    CREATE FUNCTION notify_run_state() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('bulwark_task_events', json_build_object(
        'taskId', NEW.task_id,
        'taskGroupId', (SELECT task_group_id FROM tasks WHERE task_id = NEW.task_id),
        'runId', NEW.run_id,
        'state', NEW.state)::text);
      RETURN NULL;
    END
    $$;

    CREATE TRIGGER tasks_notify_defined AFTER INSERT ON tasks
      FOR EACH ROW EXECUTE FUNCTION notify_task_defined();
    CREATE TRIGGER task_runs_notify_created AFTER INSERT ON task_runs
      FOR EACH ROW EXECUTE FUNCTION notify_run_state();
    CREATE TRIGGER task_runs_notify_state AFTER UPDATE OF state ON task_runs
      FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
      EXECUTE FUNCTION notify_run_state();
  `,
};
