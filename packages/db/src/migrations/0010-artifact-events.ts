import type { Migration } from '../migrate.js';

/**
 * `artifact-created` announcements on the task events channel of migration 0007, so
 * that watchers (server-sent events, AMQP) hear of an artifact the moment readers can
 * fetch it, from whichever replica made it.
 *
 * As Taskcluster sends it: when an artifact becomes present. A reference, link or
 * error artifact is present when it is created; an object or s3 artifact when its
 * upload is finished. Re-creating a present artifact with new content (a reference's
 * URL, live.log turned into a link to the full log) announces it again; an update
 * that changes nothing a reader sees (upload bookkeeping) does not.
 *
 * The payload names the artifact and its run: `{taskId, taskGroupId, runId, artifact}`.
 * Names are at most 1024 characters of printable text, so a payload stays far below
 * PostgreSQL's 8000-byte limit even when every character is JSON-escaped.
 */
export const artifactEventNotifications: Migration = {
  version: 10,
  name: 'artifact created notifications',
  up: `
    CREATE FUNCTION notify_artifact_created() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('bulwark_task_events', json_build_object(
        'taskId', NEW.task_id,
        'taskGroupId', (SELECT task_group_id FROM tasks WHERE task_id = NEW.task_id),
        'runId', NEW.run_id,
        'artifact', NEW.name)::text);
      RETURN NULL;
    END
    $$;

    CREATE TRIGGER artifacts_notify_created AFTER INSERT ON artifacts
      FOR EACH ROW WHEN (NEW.present)
      EXECUTE FUNCTION notify_artifact_created();
    CREATE TRIGGER artifacts_notify_presented AFTER UPDATE ON artifacts
      FOR EACH ROW WHEN (NEW.present AND (NOT OLD.present
        OR OLD.storage_type IS DISTINCT FROM NEW.storage_type
        OR OLD.details IS DISTINCT FROM NEW.details
        OR OLD.content_type IS DISTINCT FROM NEW.content_type
        OR OLD.expires IS DISTINCT FROM NEW.expires))
      EXECUTE FUNCTION notify_artifact_created();
  `,
};
