import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { registerCors } from './cors.js';
import { errorBody, toApiError } from './error-body.js';
import { ApiError, withIncident } from './errors.js';
import { requestState } from './request-state.js';

export interface ApiServerOptions {
  logger: Logger;
  /** Largest accepted request body; Taskcluster's default is 10 MB. */
  bodyLimit?: number;
}

/**
 * A Fastify instance with Bulwark's wire conventions: JSON bodies kept verbatim for
 * payload-hash checks, Taskcluster-shaped errors, no-store caching, and one access
 * log line per request that names the endpoint, never the URL (which can hold a
 * secret's name or a bewit) (S1).
 */
export function createApiServer(options: ApiServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    // Our own access log (below) replaces Fastify's, which would log URLs.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 10 * 1024 * 1024,
    return503OnClosing: true,
    // Params are checked against declared patterns; keep the router strict and literal.
    routerOptions: { ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 4096 },
    // Errors the router raises before any hook runs (a malformed percent-encoding, say)
    // get the same body as every other error instead of Fastify's own.
    frameworkErrors: (err, request, reply) => {
      const apiError = toApiError(err);
      const plainReply = reply as unknown as FastifyReply;
      void plainReply.code(apiError.statusCode).send(errorBody(request, apiError));
    },
  }) as unknown as FastifyInstance;

  // JSON only: a body in any other media type is refused before it reaches a handler.
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    requestState(request).rawBody = text;
    void parseJson(request, text, done);
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    // API answers are never cached; a route that says otherwise (the UI's assets) keeps it.
    if (!reply.hasHeader('cache-control')) {
      void reply.header('cache-control', 'no-store, no-cache, must-revalidate');
    }
    void reply.header('x-content-type-options', 'nosniff');
    return payload;
  });

  registerCors(app);

  app.addHook('onResponse', async (request, reply) => {
    const state = requestState(request);
    request.log.info(
      {
        endpoint: state.endpointName ?? 'unrouted',
        httpMethod: request.method,
        clientId: state.clientId,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request',
    );
  });

  app.setErrorHandler(async (err, request, reply) => {
    let apiError = toApiError(err);
    if (apiError.statusCode >= 500) {
      // One id in the answer and in the log line: what a user reports, an operator finds.
      const incidentId = randomUUID();
      apiError = withIncident(apiError, incidentId);
      request.log.error(
        { err, incidentId, endpoint: requestState(request).endpointName },
        'request failed',
      );
    }
    if (apiError.code === 'AuthenticationFailed') void reply.header('www-authenticate', 'hawk');
    return reply.code(apiError.statusCode).send(errorBody(request, apiError));
  });

  app.setNotFoundHandler(async (request, reply) => {
    const apiError = new ApiError('ResourceNotFound', 'No such endpoint');
    return reply.code(404).send(errorBody(request, apiError));
  });

  return app;
}
