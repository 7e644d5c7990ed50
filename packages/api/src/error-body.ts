import type { FastifyRequest } from 'fastify';
import { findBodyProblem } from './body-checks.js';
import { ApiError, type ErrorCode } from './errors.js';
import { requestState } from './request-state.js';

const OMITTED = '(OMITTED)';

/**
 * Builds Taskcluster's error body: `{code, message, requestInfo}` with the message
 * trailer clients show to people. Sensitive input fields are replaced so an error
 * never echoes a secret back (S1).
 */
export function errorBody(request: FastifyRequest, error: ApiError): Record<string, unknown> {
  const state = requestState(request);
  const time = new Date().toISOString();
  const method = state.endpointName ?? 'unknown';
  const message = [
    error.message,
    '',
    '---',
    '',
    `* method:     ${method}`,
    `* errorCode:  ${error.code}`,
    `* statusCode: ${error.statusCode}`,
    `* time:       ${time}`,
  ].join('\n');
  return {
    ...error.details,
    code: error.code,
    message,
    requestInfo: {
      method,
      params: request.params ?? {},
      // A body refused for its shape (too deep to serialize, say) is not echoed back.
      payload:
        findBodyProblem(request.body) === undefined
          ? redactPayload(request.body, state.sensitiveFields)
          : OMITTED,
      time,
    },
  };
}

function redactPayload(body: unknown, sensitive: readonly string[] | undefined): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body ?? {};
  if (!sensitive || sensitive.length === 0) return body;
  const copy: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const field of sensitive) if (field in copy) copy[field] = OMITTED;
  return copy;
}

interface FrameworkError {
  statusCode?: number;
  code?: string;
  message?: string;
}

/**
 * Maps whatever escaped the pipeline to an ApiError. Framework errors from body
 * parsing are the client's fault (4xx); anything unknown is a 500 whose message
 * reveals nothing about internals.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = (err ?? {}) as FrameworkError;
  const status = e.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code: ErrorCode =
      status === 413
        ? 'InputTooLarge'
        : status === 404
          ? 'ResourceNotFound'
          : e.code === 'FST_ERR_BAD_URL'
            ? 'InputValidationError'
            : 'MalformedPayload';
    return new ApiError(code, describeFrameworkError(e));
  }
  return new ApiError('InternalServerError', 'Internal Server Error');
}

function describeFrameworkError(e: FrameworkError): string {
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'The request body must be sent as application/json';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is too large';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The request body is empty but its content-type is application/json';
    case 'FST_ERR_BAD_URL':
      return 'The request URL is not valid: it contains a malformed percent-encoding';
    default:
      return 'The request body is not valid JSON';
  }
}
