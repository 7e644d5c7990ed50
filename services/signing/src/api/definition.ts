import { ApiDefinition } from '@bulwark/api';
import type { SigningContext } from '../domain/context.js';

export const signingApi = new ApiDefinition<SigningContext>({
  serviceName: 'signing',
  title: 'Signing API',
  description: [
    'Release signing keys, each with a policy. A key signs a task’s artifact only when the',
    'task’s provenance, signed by the control plane, verifies, names that very content, and',
    'meets the key’s policy (trust level, replicas, trusted queue, allowed queues). Signatures',
    'are minisign’s, so `minisign -V` verifies them. Every signature and refusal is audited.',
  ].join(' '),
  heartbeat: async (context) => {
    await context.pool.query('SELECT 1');
  },
});
