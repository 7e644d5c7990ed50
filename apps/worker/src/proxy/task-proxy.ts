import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { canonicalTarget, type CanonicalTarget } from './canonical-path.js';
import { scrubCredentials } from './credential-scrub.js';
import {
  signRequest,
  targetOfUrl,
  type RunCredentials,
  type SignedTarget,
} from './run-credentials.js';
import { readBody, refuse, relayedHeaders, requestHeaders, taskOrigin } from './proxy-http.js';
import { OBJECT_UPLOAD_PATH, UPLOAD_DATA_PATH, UploadGrants } from './upload-grants.js';
import { registerSecret } from './secret-answer.js';

export interface TaskProxyOptions {
  /** The control plane's root URL; every request goes there and nowhere else. */
  rootUrl: string;
  credentials: RunCredentials;
  /** What the task may do: its own scopes plus creating artifacts on its own run. */
  authorizedScopes: readonly string[];
  /** Receives every secret value the task fetches, before the task sees it (S15). */
  onSecretValue: (value: string) => void;
  logger: Logger;
  /** Requests in flight at once; more wait their turn at the socket. */
  maxConcurrentRequests?: number;
  /**
   * Test-only (the exercise's weakened targets): forward every origin-form request
   * target as it came, without the canonical-spelling check. Only the daemon sets it,
   * from the engine's own test-only switch.
   */
  weakenedForTests?: { pathCheck: false };
}

/** The secrets service's get endpoint: every successful answer under it holds a secret. */
const SECRET_GET_PATH = /^\/api\/secrets\/v1\/secret\//;
/** createArtifact: its answer for an `object` artifact carries upload credentials. */
const CREATE_ARTIFACT_PATH = /^\/api\/queue\/v1\/task\/[^/]+\/runs\/[^/]+\/artifacts\//;
const MAX_SOCKET_PATH_BYTES = 107;
/** JSON answers are read whole to be scrubbed; larger ones are refused, not relayed. */
const MAX_JSON_ANSWER = 16 * 1024 * 1024;
/**
 * Requests one task may have in flight. Each may hold an answer of up to
 * MAX_JSON_ANSWER in the worker's memory (not the task's cgroup), so this bounds what a
 * task can make its worker hold: 128 MiB (S19). A connection over it is refused, and the
 * task's client retries.
 */
const DEFAULT_CONCURRENT_REQUESTS = 8;

/** How one accepted request is signed and where it goes. */
interface Route {
  /** Path and query as forwarded (and signed). */
  resource: string;
  /** Undefined: sent unsigned (the URL itself is the capability). */
  credentials: RunCredentials | undefined;
  authorizedScopes: readonly string[] | undefined;
  /** The proxy's upload handle this request spends on success. */
  uploadHandle?: string;
}

/**
 * The task's only way to the API (S2): an HTTP server that the sandbox exposes to the
 * task, which signs each request with the run's credentials narrowed by
 * authorizedScopes. The task never holds a credential: not in its environment, its
 * files, its memory or any answer the proxy relays. Credentials are swapped in place
 * on reclaim, and once the run resolves every request is refused here, before the
 * control plane refuses it too.
 *
 * The proxy reads each request target once, accepts it only in its canonical spelling
 * (canonical-path.ts) and forwards and signs exactly that string, so what it checked
 * is what the control plane routes (S2, S12). Secret values are learned from the
 * secrets service's answers, not from how a URL was spelled (S15).
 */
export class TaskProxy {
  private credentials: RunCredentials | undefined;
  private readonly server: Server;
  private readonly root: URL;
  private readonly grants = new UploadGrants();

  constructor(private readonly options: TaskProxyOptions) {
    this.credentials = options.credentials;
    this.root = new URL(options.rootUrl);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        // Nothing a request does may take the worker down; the task gets a plain 500.
        options.logger.error({ err: (err as Error).name }, 'proxy failed on a request');
        if (!res.headersSent) refuse(res, 500, 'InternalServerError', 'the proxy failed');
        else res.destroy();
      });
    });
    this.server.maxConnections = options.maxConcurrentRequests ?? DEFAULT_CONCURRENT_REQUESTS;
    this.server.headersTimeout = 30_000;
  }

  /** Listens on a unix socket path (bound into the sandbox) or a loopback port. */
  async listen(target: { path: string } | { port: number }): Promise<string> {
    // Linux cuts a longer unix socket path silently (sun_path is 108 bytes with its NUL),
    // and the socket would appear under another name.
    if ('path' in target && Buffer.byteLength(target.path) > MAX_SOCKET_PATH_BYTES) {
      throw new Error(`the proxy socket path is longer than ${MAX_SOCKET_PATH_BYTES} bytes`);
    }
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      if ('path' in target) this.server.listen(target.path, resolve);
      else this.server.listen(target.port, '127.0.0.1', resolve);
    });
    const address = this.server.address();
    return typeof address === 'string' ? address : `http://127.0.0.1:${address?.port ?? 0}`;
  }

  /** After a reclaim: later requests are signed with the new credentials. */
  updateCredentials(credentials: RunCredentials): void {
    if (this.credentials !== undefined) this.credentials = credentials;
  }

  /** The run resolved: nothing more goes through, and it cannot be undone. */
  revoke(): void {
    this.credentials = undefined;
    this.grants.clear();
  }

  async close(): Promise<void> {
    this.revoke();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const credentials = this.credentials;
    if (credentials === undefined) {
      req.resume();
      return refuse(res, 403, 'RunResolved', 'this task’s run has resolved; the proxy is closed');
    }
    const target =
      this.options.weakenedForTests?.pathCheck === false
        ? uncheckedTarget(req.url ?? '')
        : canonicalTarget(req.url ?? '');
    if (!target.ok) {
      req.resume();
      // The reason only: the path may name a secret (S1).
      this.options.logger.debug({ reason: target.reason }, 'proxy refused a request target');
      if (target.reason === 'not-an-api-path') {
        return refuse(res, 404, 'ResourceNotFound', target.message);
      }
      return refuse(
        res,
        400,
        'InvalidRequestArguments',
        `The proxy refuses this request target: ${target.message}. It accepts each path ` +
          'in its one canonical spelling only.',
        { reason: target.reason },
      );
    }
    const origin = taskOrigin(req.headers.host);
    if (origin === undefined) {
      req.resume();
      const why = 'The Host header is missing or malformed';
      return refuse(res, 400, 'InvalidRequestArguments', why, { reason: 'host' });
    }
    const method = req.method ?? 'GET';
    const route = this.route(method, target.path, target.search, credentials);
    if (route === undefined) {
      req.resume();
      return refuse(res, 404, 'ResourceNotFound', 'This upload URL was not issued by this proxy');
    }
    const signed: SignedTarget = { ...targetOfUrl(this.root), resource: route.resource };
    const headers = requestHeaders(req);
    try {
      if (route.credentials !== undefined) {
        headers.authorization = signRequest(
          route.credentials,
          route.authorizedScopes,
          signed,
          method,
        );
      }
      const upstream = await this.forward(req, signed, headers);
      await this.answer(method, target.path, origin, upstream, res);
      if (route.uploadHandle !== undefined && (upstream.statusCode ?? 500) < 300) {
        this.grants.release(route.uploadHandle);
      }
      this.options.logger.debug({ method, status: upstream.statusCode }, 'proxied');
    } catch (err) {
      // A SyntaxError's message quotes the text it failed on, which may be a secret (S1).
      const why = err instanceof SyntaxError ? 'SyntaxError' : (err as Error).message;
      this.options.logger.warn({ err: why }, 'proxy request failed');
      if (!res.headersSent) {
        refuse(
          res,
          502,
          'BadGateway',
          'the control plane could not be reached or answered unreadably',
        );
      } else res.destroy();
    }
  }

  /**
   * Which credentials sign the request: an upload handle is swapped for the real
   * one-time URL (unsigned: the URL is the capability); object-API upload calls for an
   * object whose upload credentials the proxy kept are signed with those; everything
   * else with the run's credentials narrowed to the task's scopes.
   */
  private route(
    method: string,
    path: string,
    search: string,
    credentials: RunCredentials,
  ): Route | undefined {
    const handle = UPLOAD_DATA_PATH.exec(path)?.[1];
    if (handle !== undefined) {
      const upstreamPath = this.grants.uploadPathFor(handle);
      if (upstreamPath === undefined || method !== 'PUT') return undefined;
      return {
        resource: upstreamPath + search,
        credentials: undefined,
        authorizedScopes: undefined,
        uploadHandle: handle,
      };
    }
    if (OBJECT_UPLOAD_PATH.test(path)) {
      const grant = this.grants.credentialsForPath(path);
      if (grant !== undefined) {
        return { resource: path + search, credentials: grant, authorizedScopes: undefined };
      }
    }
    return {
      resource: path + search,
      credentials,
      authorizedScopes: this.options.authorizedScopes,
    };
  }

  private forward(
    req: IncomingMessage,
    target: SignedTarget,
    headers: Record<string, string | string[]>,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      // `path` is sent verbatim: no URL parser stands between the check and the wire.
      const outgoing = send(
        {
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          method: req.method,
          path: target.resource,
          headers,
        },
        resolve,
      );
      outgoing.on('error', reject);
      req.on('aborted', () => outgoing.destroy());
      pipeline(req, outgoing).catch(reject);
    });
  }

  /**
   * Relays the answer. JSON is read whole, its secret values (if it is a secret)
   * registered for masking, and every credential in it removed before a byte reaches
   * the task; other answers (artifact data, logs) stream through.
   */
  private async answer(
    method: string,
    path: string,
    origin: string,
    upstream: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const status = upstream.statusCode ?? 502;
    const headers = relayedHeaders(upstream);
    const success = status >= 200 && status < 300;
    // The get endpoint's answer must be read; any answer of the secrets service that
    // holds a `secret` is registered, whichever endpoint gave it.
    const isSecret = success && method === 'GET' && SECRET_GET_PATH.test(path);
    const fromSecrets = success && path.startsWith('/api/secrets/');
    const contentType = String(upstream.headers['content-type'] ?? '').toLowerCase();
    // Any JSON media type (application/json, application/problem+json, text/json, …).
    const isJson = /^[a-z]+\/(?:[a-z0-9.+-]*\+)?json\s*(?:;|$)/.test(contentType);
    if (method === 'HEAD' || status === 204 || status === 304 || (!isJson && !isSecret)) {
      res.writeHead(status, headers);
      await pipeline(upstream, res);
      return;
    }
    const encoding = String(upstream.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity') throw new Error('an encoded JSON answer cannot be scrubbed');
    const raw = await readBody(upstream, MAX_JSON_ANSWER);
    let body = raw;
    if (raw.length > 0) {
      // Unparsable JSON is not relayed: it could hold anything (S2, S15).
      const parsed = parseJson(raw);
      if (fromSecrets) registerSecret(parsed, this.options.onSecretValue);
      if (method === 'POST' && CREATE_ARTIFACT_PATH.test(path)) this.keepUploadGrant(parsed);
      const changed = scrubCredentials(parsed, {
        // The secret is what the task was granted (and is masked); all else is scrubbed.
        ...(fromSecrets ? { keepTopLevel: 'secret' } : {}),
        rewriteString: (value) => this.grants.rewriteUploadUrl(value, origin),
      });
      if (changed) body = Buffer.from(JSON.stringify(parsed));
    } else if (isSecret) {
      throw new Error('the secrets service answered a get without a body');
    }
    delete headers['content-length'];
    res.writeHead(status, { ...headers, 'content-length': String(body.length) });
    res.end(body);
  }

  /** createArtifact's upload credentials stay here, under the object's name. */
  private keepUploadGrant(answer: unknown): void {
    if (typeof answer !== 'object' || answer === null) return;
    const { name, credentials } = answer as { name?: unknown; credentials?: unknown };
    if (typeof name !== 'string' || typeof credentials !== 'object' || credentials === null) return;
    const { clientId, accessToken, certificate } = credentials as Record<string, unknown>;
    if (typeof clientId !== 'string' || typeof accessToken !== 'string') return;
    this.grants.record(name, {
      clientId,
      accessToken,
      ...(typeof certificate === 'string' ? { certificate } : {}),
    });
  }
}

/** Test-only: any target as it came, split at its first `?` (the weakened path check). */
function uncheckedTarget(target: string): CanonicalTarget {
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  const search = queryAt === -1 ? '' : target.slice(queryAt);
  return { ok: true, path, search, service: /^\/api\/([^/]*)\//.exec(path)?.[1] ?? '' };
}

/** JSON.parse, with an error that quotes nothing of the text (it may hold a secret, S1). */
function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new Error('the control plane answered JSON that does not parse');
  }
}
