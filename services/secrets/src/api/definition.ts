import { ApiDefinition } from '@bulwark/api';
import type { SecretsContext } from '../domain/context.js';

export const secretsApi = new ApiDefinition<SecretsContext>({
  serviceName: 'secrets',
  title: 'Secrets API',
  description: [
    'Stores named secrets (JSON objects with an expiry) sealed at rest, and hands each',
    'one only to callers holding `secrets:get:<name>`. Every read and write is',
    'recorded in the audit log. Wire-compatible with Taskcluster’s secrets service.',
  ].join(' '),
  // The database holds all of the service's state: without it, it serves nothing.
  heartbeat: async (context) => {
    await context.pool.query('SELECT 1');
  },
});
