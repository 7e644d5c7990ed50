import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UsageError } from './credentials.js';
import { apiFailure } from './run.js';

/**
 * The CLI's side of signing in through an identity provider (docs/identity-providers.md):
 * plain REST calls to the auth service's public sign-in endpoints, a loopback listener
 * for the web flow (RFC 8252) and polling for the device flow.
 */
export interface SignedIn {
  provider: string;
  identity: string;
  credentials: { clientId: string; accessToken: string; certificate: string };
  expires: string;
  groups: string[];
  roles: string[];
}

/** A secret kept by this process, and its SHA-256 sent at the start (see the docs). */
export function finishPair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function call(
  rootUrl: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${rootUrl}/api/auth/v1${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(60_000),
  });
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    throw apiFailure(
      response.status,
      typeof answer.code === 'string' ? answer.code : undefined,
      typeof answer.message === 'string' ? answer.message : `HTTP ${response.status}`,
    );
  }
  return answer;
}

/** The provider to use: the one named, or the only one configured. */
export async function chooseProvider(
  rootUrl: string,
  named: string | undefined,
): Promise<{ name: string; displayName: string }> {
  const { providers } = (await call(rootUrl, 'GET', '/identity-providers/')) as {
    providers: { name: string; displayName: string }[];
  };
  if (named !== undefined) {
    const found = providers.find((p) => p.name === named);
    if (!found) {
      throw new UsageError(
        `no identity provider ${named} at ${rootUrl}; configured: ` +
          (providers.map((p) => p.name).join(', ') || 'none'),
      );
    }
    return found;
  }
  if (providers.length === 1) return providers[0]!;
  if (providers.length === 0) {
    throw new UsageError(`${rootUrl} has no identity provider configured; ask an administrator`);
  }
  throw new UsageError(`choose one with --provider: ${providers.map((p) => p.name).join(', ')}`);
}

/** Opens the URL in the desktop's browser when there is a desktop; never fails. */
function openBrowser(url: string): void {
  const opener =
    process.platform === 'darwin'
      ? 'open'
      : process.env.DISPLAY || process.env.WAYLAND_DISPLAY
        ? 'xdg-open'
        : undefined;
  if (!opener) return;
  try {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // The URL is printed anyway.
  }
}

const PAGE = (text: string): string =>
  `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Bulwark</title></head>` +
  `<body><p>${text}</p></body></html>`;

/**
 * The web flow: a listener on 127.0.0.1, port chosen by the system, receives the
 * provider's redirect with the code; the state must be the one this sign-in started.
 */
export async function webSignIn(
  rootUrl: string,
  provider: { name: string; displayName: string },
  options: { browser: boolean; timeoutMs: number },
): Promise<SignedIn> {
  const { verifier, challenge } = finishPair();
  let expectedState = '';
  let settle: (result: { code: string } | Error) => void = () => undefined;
  const received = new Promise<{ code: string } | Error>((resolve) => (settle = resolve));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback' || url.searchParams.get('state') !== expectedState) {
      res.writeHead(404, { 'content-type': 'text/html' }).end(PAGE('Not this sign-in.'));
      return;
    }
    const code = url.searchParams.get('code');
    const error = url.searchParams.get('error');
    if (code) {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(PAGE('Signed in to Bulwark. You can close this window.'));
      settle({ code });
    } else {
      res.writeHead(400, { 'content-type': 'text/html' }).end(PAGE('The sign-in was refused.'));
      settle(new Error(`the identity provider refused the sign-in: ${error ?? 'no code'}`));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const timer = setTimeout(
    () => settle(new Error('no answer from the browser in time; run signin again')),
    options.timeoutMs,
  );
  try {
    const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
    const started = await call(rootUrl, 'POST', `/signin/${provider.name}/start`, {
      redirectUri,
      finishChallenge: challenge,
    });
    expectedState = started.state as string;
    const url = started.authorizationUrl as string;
    process.stderr.write(
      `To sign in with ${provider.displayName}, open this address in a browser:\n\n  ${url}\n\n`,
    );
    if (options.browser) openBrowser(url);
    const result = await received;
    if (result instanceof Error) throw result;
    return (await call(rootUrl, 'POST', '/signin/finish', {
      state: expectedState,
      code: result.code,
      finishVerifier: verifier,
    })) as unknown as SignedIn;
  } finally {
    clearTimeout(timer);
    server.closeAllConnections();
    server.close();
  }
}

/** The device flow: print the code and where to enter it, then poll until approved. */
export async function deviceSignIn(
  rootUrl: string,
  provider: { name: string; displayName: string },
): Promise<SignedIn> {
  const { verifier, challenge } = finishPair();
  const started = await call(rootUrl, 'POST', `/signin/${provider.name}/device`, {
    finishChallenge: challenge,
  });
  const complete = started.verificationUriComplete as string | undefined;
  process.stderr.write(
    `To sign in with ${provider.displayName}, open ${started.verificationUri as string} ` +
      `on any device and enter the code\n\n  ${started.userCode as string}\n\n` +
      (complete ? `(or open ${complete})\n` : '') +
      'Waiting for approval...\n',
  );
  const deadline = new Date(started.expires as string).getTime();
  let interval = started.interval as number;
  while (Date.now() < deadline) {
    const answer = await call(rootUrl, 'POST', '/signin/device/poll', {
      deviceRequest: started.deviceRequest,
      finishVerifier: verifier,
    });
    if (answer.status === 'signed-in') return answer as unknown as SignedIn;
    interval = typeof answer.interval === 'number' ? answer.interval : interval;
    await new Promise((resolve) => setTimeout(resolve, interval * 1000));
  }
  throw new Error('the code expired before it was approved; run signin again');
}

/** Ends a sign-in's credentials at the deployment (signOut, signed with them). */
export async function endSignIn(
  rootUrl: string,
  credentials: { clientId: string; accessToken: string; certificate?: string },
): Promise<void> {
  const { default: taskcluster } = await import('taskcluster-client');
  const reference = (await call(rootUrl, 'GET', '/reference')) as unknown;
  const Auth = taskcluster.createClient(reference);
  await new Auth({ rootUrl, credentials, retries: 1 }).signOut!();
}
