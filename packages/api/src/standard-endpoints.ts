import { readFileSync } from 'node:fs';
import type { EndpointDeclaration } from './endpoint.js';
import { ApiError } from './errors.js';

/** What `__version__` reports, read once: the platform's release. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

const EMPTY_OBJECT = { type: 'object', additionalProperties: false, properties: {} } as const;

/**
 * The endpoints every Taskcluster service has besides its own, with Taskcluster's
 * names and routes (`ping` is declared by the definition itself): a load balancer's
 * liveness probe, the deployed version, and a heartbeat that also checks what the
 * service depends on (its database), so a replica that lost it is taken out of rotation.
 */
export function standardEndpoints<TContext>(
  heartbeat: ((context: TContext) => Promise<void>) | undefined,
): EndpointDeclaration<TContext>[] {
  return [
    {
      name: 'lbheartbeat',
      method: 'GET',
      route: '/__lbheartbeat__',
      scopes: null,
      title: 'Load Balancer Heartbeat',
      description: 'Answers while the process serves requests; checks nothing else.',
      output: EMPTY_OBJECT,
      handler: async () => ({}),
    },
    {
      name: 'version',
      method: 'GET',
      route: '/__version__',
      scopes: null,
      title: 'Taskcluster Version',
      description: 'The release of Bulwark this service runs.',
      output: {
        type: 'object',
        additionalProperties: false,
        required: ['source', 'version'],
        properties: { source: { type: 'string' }, version: { type: 'string' } },
      },
      handler: async () => ({ source: 'bulwark', version: VERSION }),
    },
    {
      name: 'heartbeat',
      method: 'GET',
      route: '/__heartbeat__',
      scopes: null,
      title: 'Heartbeat',
      description:
        'Answers when the service and what it depends on (its database) work; 503 otherwise.',
      output: EMPTY_OBJECT,
      handler: async (context, request) => {
        try {
          await heartbeat?.(context);
        } catch (err) {
          // The cause is for the operator's logs, never for the client.
          request.log.warn({ err: (err as Error).message }, 'heartbeat: a dependency failed');
          throw new ApiError('ServiceUnavailable', 'a dependency of this service is not answering');
        }
        return {};
      },
    },
  ];
}
