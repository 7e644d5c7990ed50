import { ApiDefinition } from '@bulwark/api';
import type { QueueContext } from '../domain/context.js';

/**
 * The subset of Taskcluster's object service that the published client's upload and
 * download helpers use, for artifact data only, served by the queue and streamed
 * into the blob store.
 */
export const objectApi = new ApiDefinition<QueueContext>({
  serviceName: 'object',
  title: 'Object API',
  description: [
    'Uploads and downloads of artifact data: createUpload, finishUpload and',
    'startDownload as Taskcluster’s object service has them, plus the signed URLs',
    'they hand out. Data streams into the blob store, which computes its digest.',
  ].join(' '),
  // The database holds all of the service's state: without it, it serves nothing.
  heartbeat: async (context) => {
    await context.pool.query('SELECT 1');
  },
});
