import { ApiDefinition } from '@bulwark/api';
import type { QueueContext } from '../domain/context.js';

export const queueApi = new ApiDefinition<QueueContext>({
  serviceName: 'queue',
  title: 'Queue API',
  description: [
    'Holds tasks and their runs, hands pending work to workers with per-run',
    'credentials, and records how each run resolved. Wire-compatible with',
    'Taskcluster’s queue service.',
  ].join(' '),
  // The database holds all of the service's state: without it, it serves nothing.
  heartbeat: async (context) => {
    await context.pool.query('SELECT 1');
  },
});
