/**
 * The closed set of error codes an API may answer with, and their HTTP statuses.
 * These are Taskcluster's codes: published clients branch on them, so the set is
 * part of the wire contract and must not grow casually.
 */
export const ERROR_STATUS = {
  MalformedPayload: 400,
  InvalidRequestArguments: 400,
  InputValidationError: 400,
  InputError: 400,
  AuthenticationFailed: 401,
  InsufficientScopes: 403,
  ResourceNotFound: 404,
  RequestConflict: 409,
  ResourceExpired: 410,
  InputTooLarge: 413,
  TooManyRequests: 429,
  InternalServerError: 500,
  ServiceUnavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * An error a handler throws on purpose. Anything else that escapes a handler is
 * reported as InternalServerError with no detail, so internal state never leaks.
 */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** Extra fields merged into the response body (e.g. InsufficientScopes' `required`). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.statusCode = ERROR_STATUS[code];
    this.details = details;
  }
}

/** The same error, saying which incident it was: the id is also in the server's log line. */
export function withIncident(error: ApiError, incidentId: string): ApiError {
  return new ApiError(
    error.code,
    `${error.message} (incident ${incidentId}; the operator's logs have the details)`,
    { ...error.details, incidentId },
  );
}

export const notFound = (what: string): ApiError =>
  new ApiError('ResourceNotFound', `${what} not found`);
export const conflict = (message: string): ApiError => new ApiError('RequestConflict', message);
export const inputError = (message: string): ApiError => new ApiError('InputError', message);

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}
