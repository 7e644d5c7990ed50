import { strict as assert } from 'node:assert';
import taskcluster from 'taskcluster-client';
import { VERIFICATION_ARTIFACT } from '@bulwark/queue-service';
import { uploadArtifact, type RunningTask } from '../queue/artifact-helpers.js';
import type { TestPlatform } from '../queue/harness.js';
import { provenanceOf } from '../queue/provenance-helpers.js';

/** The signing service's client class, built from its served reference as any caller would. */
export async function signingClass(platform: TestPlatform): Promise<any> {
  const reference: unknown = await (
    await fetch(`${platform.rootUrl}/api/signing/v1/reference`)
  ).json();
  return taskcluster.createClient(reference);
}

/** A Signing client with root's credentials or temporary ones holding exactly `scopes`. */
export function signingAs(
  Signing: any,
  platform: TestPlatform,
  scopes: string[] | 'root',
  credentials: unknown = platform.root,
): any {
  return new Signing({
    rootUrl: platform.rootUrl,
    credentials:
      scopes === 'root'
        ? credentials
        : taskcluster.createTemporaryCredentials({
            expiry: new Date(Date.now() + 3600_000),
            scopes,
            credentials: credentials as { clientId: string; accessToken: string },
          }),
  });
}

/** Uploads each output on the run and reports it completed. */
export async function complete(
  platform: TestPlatform,
  run: RunningTask,
  outputs: Record<string, Buffer | string>,
): Promise<void> {
  for (const [name, content] of Object.entries(outputs)) {
    await uploadArtifact(platform, run, name, Buffer.from(content));
  }
  await run.run.reportCompleted(run.taskId, run.runId);
}

/** Waits (bounded) for the task's provenance and, for a quorum task, its verification summary. */
export async function attestationsOf(platform: TestPlatform, taskId: string): Promise<void> {
  await provenanceOf(platform, taskId);
  const { rowCount } = await platform.db.pool.query(
    `SELECT 1 FROM artifacts WHERE task_id = $1 AND name = $2 AND present`,
    [taskId, VERIFICATION_ARTIFACT],
  );
  assert.equal(rowCount, 1, 'a decided quorum has its verification summary with its provenance');
}

/**
 * Asks for a signature and expects a refusal: 409 with the reason, or 403 without the
 * scope. Answers the error's message.
 */
export async function refused(
  signer: any,
  keyId: string,
  taskId: string,
  artifact: string,
  code: 'RequestConflict' | 'InsufficientScopes' = 'RequestConflict',
): Promise<string> {
  let message = '';
  await assert.rejects(signer.sign(keyId, { taskId, artifact }), (err: any) => {
    assert.equal(err.code, code, `${keyId} ${artifact}: ${err.message}`);
    message = String(err.message);
    return true;
  });
  return message;
}
