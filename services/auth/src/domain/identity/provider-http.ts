import { ApiError } from '@bulwark/api';
import { checkProviderUrl } from './provider-settings.js';

/** Answers from a provider are small; anything larger is refused unread. */
const MAX_ANSWER_BYTES = 256 * 1024;
const TIMEOUT_MS = 10_000;

/** A provider that did not answer, or answered nonsense: the caller should retry later. */
export function providerUnavailable(name: string, why: string): ApiError {
  return new ApiError('ServiceUnavailable', `identity provider ${name}: ${why}`);
}

/** An OAuth error answer (`{error, error_description}`), kept for the caller to branch on. */
export class ProviderRefusal extends Error {
  override readonly name = 'ProviderRefusal';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_PROVIDER_REFUSAL';
  constructor(
    readonly error: string,
    readonly description: string | undefined,
  ) {
    super(`the identity provider answered ${error}${description ? `: ${description}` : ''}`);
  }
}

/** Only printable ASCII of a provider's words reaches a message, and not much of it. */
const printable = (value: unknown, max = 200): string | undefined =>
  typeof value === 'string' ? value.replace(/[^\x20-\x7e]/g, '?').slice(0, max) : undefined;

async function readBounded(response: Response): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array> | null)?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      throw new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * One request to a provider, its JSON answer bounded in size and time. An OAuth error
 * answer becomes a ProviderRefusal; anything else that is not a JSON object, a network
 * failure or a timeout becomes 503 naming the provider (never the request's body, which
 * carries a code or the client secret).
 */
export async function providerJson(
  providerName: string,
  url: string,
  init: { method: 'GET' } | { method: 'POST'; form: Record<string, string>; basic?: string },
): Promise<Record<string, unknown>> {
  checkProviderUrl(url, 'a provider endpoint');
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: string | undefined;
  if (init.method === 'POST') {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    if (init.basic) headers.authorization = `Basic ${init.basic}`;
    body = new URLSearchParams(init.form).toString();
  }
  let status: number;
  let text: string;
  try {
    const response = await fetch(url, {
      method: init.method,
      headers,
      ...(body !== undefined && { body }),
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    status = response.status;
    text = await readBounded(response);
  } catch (err) {
    throw providerUnavailable(
      providerName,
      `no answer from ${new URL(url).origin} (${printable((err as Error).message)})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw providerUnavailable(providerName, `answered ${status} without JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw providerUnavailable(providerName, `answered ${status} without a JSON object`);
  }
  const answer = parsed as Record<string, unknown>;
  if (typeof answer.error === 'string') {
    throw new ProviderRefusal(
      printable(answer.error, 64) ?? 'error',
      printable(answer.error_description),
    );
  }
  if (status < 200 || status > 299) {
    throw providerUnavailable(providerName, `answered ${status}`);
  }
  return answer;
}

/** `client_secret_basic` (RFC 6749, section 2.3.1): both parts form-encoded first. */
export function basicCredentials(clientId: string, clientSecret: string): string {
  const encode = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');
  return Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64');
}
