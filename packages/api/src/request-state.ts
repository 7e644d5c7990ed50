import type { FastifyRequest } from 'fastify';

/** What the error handler and the access log need to know about a request. */
export interface RequestState {
  endpointName: string | undefined;
  clientId: string;
  sensitiveFields: readonly string[] | undefined;
  rawBody: string | undefined;
}

const states = new WeakMap<FastifyRequest, RequestState>();

export function requestState(request: FastifyRequest): RequestState {
  let state = states.get(request);
  if (!state) {
    state = {
      endpointName: undefined,
      clientId: 'anonymous',
      sensitiveFields: undefined,
      rawBody: undefined,
    };
    states.set(request, state);
  }
  return state;
}
