import {
  ApiError,
  Reply,
  inputError,
  notFound,
  type ApiRequest,
  type FromJsonSchema,
} from '@bulwark/api';
import { queries } from '@bulwark/db';
import type { artifactContentResponse } from '../schemas/artifacts.js';
import { artifactObjectName } from './artifact-names.js';
import { issueDownloadCredentials, publicRootUrl, signedDownloadUrl } from './artifact-signing.js';
import type { QueueContext } from './context.js';
import { isOwnLiveLog, signedLiveLogUrl } from './live-log.js';

type ArtifactRow = queries.queueArtifacts.ArtifactRow;
type AnyRequest = ApiRequest<unknown, unknown, unknown>;

const STORAGE_TYPE_HEADER = 'x-taskcluster-artifact-storage-type';

/**
 * Loads an artifact for download, following links within the run. Before each hop
 * the caller must hold `queue:get-artifact:<name>` for every name seen so far, so a
 * link never lends access to what it points at. Cycles are an InputError.
 */
export async function artifactFollowingLinks(
  ctx: QueueContext,
  req: AnyRequest,
  taskId: string,
  runId: number,
  name: string,
): Promise<ArtifactRow> {
  const names: string[] = [];
  for (let current = name; ;) {
    names.push(current);
    req.authorize({ names });
    const artifact = await queries.queueArtifacts.getArtifact(ctx.pool, {
      taskId,
      runId,
      name: current,
    });
    if (!artifact?.present) throw notFound('Artifact');
    if (artifact.expires < ctx.now()) throw new ApiError('ResourceExpired', 'Artifact expired');
    if (artifact.storageType !== 'link') return artifact;
    const target = artifact.details.artifact ?? '';
    if (names.includes(target)) throw inputError('Artifact leads to a link cycle');
    current = target;
  }
}

/** The latest run's id; authorize before calling, so a 404 reveals nothing. */
export async function latestRunId(ctx: QueueContext, taskId: string): Promise<number> {
  const runs = await queries.queueRuns.getRuns(ctx.pool, taskId);
  const last = runs.at(-1);
  if (!last) {
    const task = await queries.queueTasks.getTask(ctx.pool, taskId);
    throw notFound(task ? 'Task run' : 'Task');
  }
  return last.runId;
}

/**
 * getArtifact's answer: 303 to where the content is (for stored data, a signed URL
 * that expires), 424 for error artifacts.
 */
export async function artifactRedirect(
  ctx: QueueContext,
  req: AnyRequest,
  taskId: string,
  runId: number,
  name: string,
): Promise<Reply> {
  const artifact = await artifactFollowingLinks(ctx, req, taskId, runId, name);
  const header = { [STORAGE_TYPE_HEADER]: artifact.storageType };
  if (artifact.storageType === 'error') {
    return new Reply(
      424,
      { reason: artifact.details.reason, message: artifact.details.message },
      header,
    );
  }
  const url =
    artifact.storageType === 'reference'
      ? referenceUrl(ctx, req, taskId, runId, artifact.details.url)
      : signedDownloadUrl(ctx, publicRootUrl(ctx, req.raw), {
          taskId,
          runId,
          objectName: artifactObjectName(taskId, runId, artifact.name),
        }).url;
  return new Reply(303, { storageType: artifact.storageType, url }, { ...header, location: url });
}

/**
 * Where a reference leads. A reference to the run's own live log is signed for the
 * reader, who passed the artifact's scope: the live log is served by the API itself,
 * behind ordinary artifact scopes, never by an unguessable URL.
 */
function referenceUrl(
  ctx: QueueContext,
  req: AnyRequest,
  taskId: string,
  runId: number,
  url: string | undefined,
): string {
  if (!isOwnLiveLog(url, taskId, runId)) return url ?? '';
  return signedLiveLogUrl(ctx, publicRootUrl(ctx, req.raw), taskId, runId);
}

/** artifact / latestArtifact: how to fetch the content, without redirecting. */
export async function artifactContent(
  ctx: QueueContext,
  req: AnyRequest,
  taskId: string,
  runId: number,
  name: string,
): Promise<FromJsonSchema<typeof artifactContentResponse>> {
  const artifact = await artifactFollowingLinks(ctx, req, taskId, runId, name);
  const objectName = artifactObjectName(taskId, runId, artifact.name);
  switch (artifact.storageType) {
    case 'object':
      return {
        storageType: 'object',
        name: objectName,
        credentials: issueDownloadCredentials(ctx, { taskId, runId, objectName }),
      };
    case 's3':
      return {
        storageType: 's3',
        url: signedDownloadUrl(ctx, publicRootUrl(ctx, req.raw), { taskId, runId, objectName }).url,
      };
    case 'reference':
      return {
        storageType: 'reference',
        url: referenceUrl(ctx, req, taskId, runId, artifact.details.url),
      };
    default:
      return {
        storageType: 'error',
        reason: artifact.details.reason ?? '',
        message: artifact.details.message ?? '',
      };
  }
}
