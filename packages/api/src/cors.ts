import type { FastifyInstance } from 'fastify';
import { requestState } from './request-state.js';

/**
 * Where browsers from any origin may call: the APIs and the references and schemas
 * beside them. The web UI's own pages are not among them; they are served to its origin.
 */
export const CORS_PREFIXES: readonly string[] = ['/api/', '/references/', '/schemas/'];

/**
 * Taskcluster's CORS answer (its libraries/api router), so its browser client works
 * against Bulwark from any origin. `*` is safe here because nothing ambient authenticates
 * a request: credentials travel only in the Authorization header (Hawk) or in a bewit
 * the caller put in the URL itself, never in a cookie, so a foreign page can make a
 * browser send only what that page already holds. `Access-Control-Allow-Credentials` is
 * never sent, so a browser would not even attach cookies.
 */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-max-age': '900',
  'access-control-allow-methods': 'OPTIONS,GET,HEAD,POST,PUT,DELETE',
  'access-control-allow-headers':
    'X-Requested-With,Content-Type,Authorization,Accept,Origin,Cache-Control,Last-Event-ID',
  // Answers to a browser's fetch hide all but a few headers unless exposed; the API's
  // clients read these (the redirect of a signed artifact URL, the size of a download).
  'access-control-expose-headers': 'Location,Content-Length,Content-Disposition,Retry-After',
};

const wantsCors = (url: string): boolean => CORS_PREFIXES.some((prefix) => url.startsWith(prefix));

/**
 * Adds the CORS headers to every answer under the CORS prefixes, errors and 404s
 * included (a browser client must be able to read an error's code), and answers every
 * preflight there with 204: what the preflight asks for is decided by the request that
 * follows it, which authenticates and authorizes as any other.
 */
export function registerCors(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (wantsCors(request.url)) void reply.headers(CORS_HEADERS);
  });
  for (const prefix of CORS_PREFIXES) {
    app.options(`${prefix}*`, async (request, reply) => {
      requestState(request).endpointName = 'preflight';
      return reply.code(204).send();
    });
  }
}
