import { conflict, inputError } from '@bulwark/api';
import { queries, withTransaction } from '@bulwark/db';
import type { CreateArtifactInput } from '../schemas/artifacts.js';
import { artifactNameProblem, artifactObjectName } from './artifact-names.js';
import {
  EXPIRES_PAST_TOLERANCE_MS,
  lockAcceptingRun,
  niceSlugid,
  type ClaimedRun,
} from './artifact-rules.js';
import { issueUploadCredentials } from './artifact-signing.js';
import { armUploadUrl } from './artifact-upload.js';
import type { QueueContext } from './context.js';

type ArtifactRow = queries.queueArtifacts.ArtifactRow;
type ArtifactKey = queries.queueArtifacts.ArtifactKey;
type StorageType = queries.queueArtifacts.StorageType;

/** Taskcluster's default for artifacts that name no content type. */
const DEFAULT_CONTENT_TYPE = 'application/binary';

export type CreateArtifactResult =
  | {
      storageType: 'object';
      name: string;
      projectId: string;
      uploadId: string;
      expires: string;
      credentials: { clientId: string; accessToken: string; certificate: string };
    }
  | { storageType: 's3'; putUrl: string; expires: string; contentType: string }
  | { storageType: 'reference' | 'link' | 'error' };

function detailsOf(input: CreateArtifactInput): Record<string, string> {
  switch (input.storageType) {
    case 'reference':
      return { url: input.url };
    case 'link':
      return { artifact: input.artifact };
    case 'error':
      return { reason: input.reason, message: input.message };
    default:
      return {};
  }
}

const sameDetails = (a: Record<string, string>, b: Record<string, string>): boolean =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/**
 * Taskcluster's immutability rules for a repeated createArtifact: the content type
 * never changes (links have none), `expires` may only grow, the storage type stays
 * (except that a reference may become a link), details stay (except a reference's
 * URL). Stored data, once uploaded, is never replaced.
 */
function compatible(
  original: ArtifactRow,
  next: {
    storageType: StorageType;
    contentType: string;
    details: Record<string, string>;
    expires: Date;
  },
): boolean {
  if (next.storageType !== 'link' && original.contentType !== next.contentType) return false;
  if (original.expires.getTime() > next.expires.getTime()) return false;
  if (original.storageType === next.storageType) {
    if (next.storageType === 'object' || next.storageType === 's3') return !original.present;
    return next.storageType === 'reference' || sameDetails(original.details, next.details);
  }
  return original.storageType === 'reference' && next.storageType === 'link';
}

/** createArtifact (reference §3.6). The caller already holds create-artifact for the run. */
export async function createArtifact(
  ctx: QueueContext,
  key: ArtifactKey,
  input: CreateArtifactInput,
  rootUrl: string,
  callerId: string,
): Promise<CreateArtifactResult> {
  const now = ctx.now();
  const expires = new Date(input.expires);
  if (expires.getTime() < now.getTime() - EXPIRES_PAST_TOLERANCE_MS) {
    throw inputError('Expires must be in the future');
  }
  if (input.storageType === 'link') {
    const problem = artifactNameProblem(input.artifact);
    if (problem !== undefined) throw inputError(`Invalid link target: it ${problem}`);
  }
  const contentType =
    'contentType' in input && input.contentType !== undefined
      ? input.contentType
      : DEFAULT_CONTENT_TYPE;
  const details = detailsOf(input);
  const stored = input.storageType === 'object' || input.storageType === 's3';

  return withTransaction(ctx.pool, async (db) => {
    const run = await lockAcceptingRun(db, key.taskId, key.runId, now);
    if (expires > run.taskExpires) {
      throw inputError(
        `Artifact expires (${expires.toJSON()}) after the task expiration ` +
          `${run.taskExpires.toJSON()}: artifacts may not outlive their task`,
      );
    }
    const fresh = {
      ...key,
      storageType: input.storageType,
      contentType,
      details,
      // Stored data is visible only once uploaded; the others exist at once.
      present: !stored,
      expires,
      contentLength: stored && input.contentLength !== undefined ? input.contentLength : null,
      uploadId: input.storageType === 'object' ? niceSlugid() : null,
    };
    let artifact: ArtifactRow | undefined;
    if (await queries.queueArtifacts.insertArtifact(db, fresh, now)) {
      artifact = await queries.queueArtifacts.getArtifact(db, key);
    } else {
      const original = await queries.queueArtifacts.getArtifact(db, key, { forUpdate: true });
      if (!original || !compatible(original, fresh)) {
        throw conflict(
          'Artifact already exists with different properties, and none of the allowed ' +
            `exceptions apply (storageType ${original?.storageType ?? '?'}, contentType ` +
            `${original?.contentType ?? '?'}, expires ${original?.expires.toJSON() ?? '?'})`,
        );
      }
      await queries.queueArtifacts.updateArtifact(db, key, {
        storageType: fresh.storageType,
        details: stored ? original.details : details,
        expires,
      });
      artifact = { ...original, storageType: fresh.storageType, expires };
    }
    if (!artifact) throw new Error('artifact vanished inside its own transaction');
    const result = await respond(ctx, db, run, artifact, rootUrl);
    // Last: the audit lock is held from here to the commit (S14).
    await queries.audit.appendAudit(
      db,
      {
        entityType: 'task',
        entityId: key.taskId,
        action: stored ? 'artifact-upload-issued' : 'artifact-created',
        clientId: callerId,
        details: { runId: key.runId, name: key.name, storageType: artifact.storageType },
      },
      now,
    );
    return result;
  });
}

async function respond(
  ctx: QueueContext,
  db: Parameters<typeof armUploadUrl>[1],
  run: ClaimedRun,
  artifact: ArtifactRow,
  rootUrl: string,
): Promise<CreateArtifactResult> {
  switch (artifact.storageType) {
    case 'object': {
      const objectName = artifactObjectName(artifact.taskId, artifact.runId, artifact.name);
      return {
        storageType: 'object',
        name: objectName,
        projectId: run.projectId,
        uploadId: artifact.uploadId ?? '',
        expires: artifact.expires.toJSON(),
        credentials: issueUploadCredentials(ctx, {
          taskId: artifact.taskId,
          runId: artifact.runId,
          workerGroup: run.workerGroup,
          workerId: run.workerId,
          projectId: run.projectId,
          objectName,
          expires: artifact.expires,
        }),
      };
    }
    case 's3': {
      const put = await armUploadUrl(ctx, db, artifact, rootUrl, {
        uploadLength: artifact.contentLength,
        uploadSha256: null,
      });
      return {
        storageType: 's3',
        putUrl: put.url,
        expires: put.expires.toJSON(),
        contentType: artifact.contentType,
      };
    }
    default:
      return { storageType: artifact.storageType };
  }
}
