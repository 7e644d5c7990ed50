import { ApiDefinition } from '@bulwark/api';
import type { AuthContext } from '../domain/context.js';

export const authApi = new ApiDefinition<AuthContext>({
  serviceName: 'auth',
  title: 'Authentication API',
  description: [
    'Manages clients, roles and scopes, and verifies Hawk-signed requests for every',
    'Bulwark service. Wire-compatible with Taskcluster’s auth service.',
  ].join(' '),
  // The database holds all of the service's state: without it, it serves nothing.
  heartbeat: async (context) => {
    await context.pool.query('SELECT 1');
  },
});
