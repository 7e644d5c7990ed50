import { chmod, writeFile } from 'node:fs/promises';
import type { ServiceClient } from 'taskcluster-client';

export interface WorkerIdentity {
  rootUrl: string;
  taskQueueId: string;
  workerGroup: string;
  workerId: string;
}

/** The role every worker of a pool assumes: claiming from that pool, nothing more. */
export function poolRoleId(taskQueueId: string): string {
  return `worker-pool:${taskQueueId}`;
}

/** One client per worker, named for its pool and id. */
export function workerClientId(identity: Pick<WorkerIdentity, 'taskQueueId' | 'workerId'>): string {
  return `worker/${identity.taskQueueId}/${identity.workerId}`;
}

/**
 * Makes the pool's role (once) and the worker's client with the least scopes a worker
 * needs (S5): claim from its pool (through the role) and its own worker id. An existing
 * client gets a new token, so whoever held the old one no longer can claim.
 */
export async function provisionWorkerClient(
  auth: ServiceClient,
  identity: WorkerIdentity,
  description: string,
): Promise<{ clientId: string; accessToken: string }> {
  const roleId = poolRoleId(identity.taskQueueId);
  await auth.createRole!(roleId, {
    description: `the workers of ${identity.taskQueueId}`,
    scopes: [`queue:claim-work:${identity.taskQueueId}`],
  }).catch((err: { statusCode?: number }) => {
    if (err.statusCode !== 409) throw err;
  });
  const clientId = workerClientId(identity);
  const existing = await auth.client!(clientId).catch((err: { statusCode?: number }) => {
    if (err.statusCode === 404) return undefined;
    throw err;
  });
  const created = existing
    ? await auth.resetAccessToken!(clientId)
    : await auth.createClient!(clientId, {
        description,
        expires: new Date(Date.now() + 10 * 365 * 24 * 3600_000).toJSON(),
        scopes: [
          `assume:${roleId}`,
          `queue:worker-id:${identity.workerGroup}/${identity.workerId}`,
        ],
      });
  return { clientId, accessToken: created.accessToken as string };
}

/**
 * Writes a worker's whole configuration, its credentials included, to one 0600 file:
 * the one file to copy to the worker host.
 */
export async function writeWorkerConfig(
  path: string,
  config: WorkerIdentity & {
    dataDir: string;
    capacity: number;
    credentials: { clientId: string; accessToken: string };
  },
): Promise<void> {
  await writeFile(path, JSON.stringify({ ...config, engine: 'sandbox' }, null, 2) + '\n', {
    mode: 0o600,
    flag: 'w',
  });
  // writeFile's mode applies only to a new file; an existing one is tightened too (S11).
  await chmod(path, 0o600);
}
