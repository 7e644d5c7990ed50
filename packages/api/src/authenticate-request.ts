import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AuthenticationResult, Authenticator } from './authenticator.js';
import type { Caller } from './endpoint.js';
import { ApiError } from './errors.js';
import { hawkRequestInfo } from './hawk-request.js';
import { requestState } from './request-state.js';

/**
 * Establishes who is calling. A request without credentials becomes the anonymous
 * caller; a request whose credentials do not verify is refused outright with 401,
 * whatever the endpoint, so a bad signature never degrades to anonymous access.
 */
export function authenticateRequest(
  request: FastifyRequest,
  authenticator: Authenticator,
): Caller | Promise<Caller> {
  const info = hawkRequestInfo(request);
  if (!info)
    throw new ApiError('AuthenticationFailed', 'Bad Request: missing or invalid Host header');
  const hasBewit = /[?&]bewit=/.test(info.resource);
  if (info.authorization !== undefined && hasBewit) {
    throw new ApiError(
      'AuthenticationFailed',
      'Cannot use both an Authorization header and a bewit',
    );
  }
  const result = authenticator.authenticate(info);
  return result instanceof Promise
    ? result.then((r) => toCaller(request, r))
    : toCaller(request, result);
}

function toCaller(request: FastifyRequest, result: AuthenticationResult): Caller {
  switch (result.status) {
    case 'no-auth':
      return {
        clientId: 'anonymous',
        scopes: result.scopes,
        expires: result.expires,
        authenticated: false,
      };
    case 'auth-failed':
      throw new ApiError('AuthenticationFailed', result.message);
    case 'auth-success':
      if (result.hash !== undefined) verifyPayloadHash(request, result.hash);
      return {
        clientId: result.clientId,
        scopes: result.scopes,
        expires: result.expires,
        authenticated: true,
      };
  }
}

/** The client signed a payload hash: the body we received must be the one it signed. */
function verifyPayloadHash(request: FastifyRequest, signedHash: string): void {
  const contentType =
    (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const body = requestState(request).rawBody ?? '';
  const expected = createHash('sha256')
    .update(`hawk.1.payload\n${contentType}\n${body}\n`)
    .digest('base64');
  const a = Buffer.from(expected);
  const b = Buffer.from(signedHash);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new ApiError('AuthenticationFailed', 'Invalid payload hash');
  }
}
