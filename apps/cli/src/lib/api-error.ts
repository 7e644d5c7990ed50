/** What taskcluster-client puts on the errors of API calls that failed. */
export interface ApiError {
  statusCode?: number;
  code?: string;
  message?: string;
  /** The parsed response body: `{code, message, requestInfo}` from Bulwark. */
  body?: unknown;
}

/**
 * The whole reason an API gave, for people: Taskcluster-style messages carry the list
 * of missing scopes or the failing field on the lines after the first, then a `---`
 * trailer of request details that only repeats what the user sent. Everything up to
 * the trailer is kept, with blank runs squeezed, so nothing the user must act on is cut.
 */
export function describeApiError(error: ApiError): string {
  const message = (error.message ?? '').split(/\n-{3,}\n?/)[0] ?? '';
  const lines = message
    .replace(/```\w*\n?/g, '')
    .split('\n')
    .map((line) => line.trimEnd());
  const squeezed = lines.filter((line, i) => line !== '' || (i > 0 && lines[i - 1] !== ''));
  while (squeezed.length > 0 && squeezed[squeezed.length - 1] === '') squeezed.pop();
  const [first = '', ...rest] = squeezed;
  const head = `${error.code ?? 'Error'} (${String(error.statusCode)}): ${first}`;
  return rest.length === 0 ? head : `${head}\n${rest.map((l) => (l ? `  ${l}` : '')).join('\n')}`;
}

/** The API's error body as the API sent it, for `--json`; built from the error if absent. */
export function apiErrorBody(error: ApiError): unknown {
  if (typeof error.body === 'object' && error.body !== null) return error.body;
  return {
    code: error.code ?? 'Error',
    message: error.message ?? '',
    statusCode: error.statusCode,
  };
}
