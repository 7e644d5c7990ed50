import { ApiDefinition } from '@bulwark/api';
import type { AuthContext } from '../domain/context.js';

export const authApi = new ApiDefinition<AuthContext>({
  serviceName: 'auth',
  title: 'Authentication API',
  description: [
    'Manages clients, roles and scopes, and verifies Hawk-signed requests for every',
    'Bulwark service. Wire-compatible with Taskcluster’s auth service.',
  ].join(' '),
});
