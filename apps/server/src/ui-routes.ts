import { readFile, readdir } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where `npm run build` puts the web UI (scripts/build-ui.mjs). */
export const DEFAULT_UI_DIR = resolve(fileURLToPath(import.meta.url), '../../../ui/build');

/**
 * The UI's pages may load only this origin's own scripts and styles (no inline script,
 * no eval), talk only to this origin, and be framed by nobody. The API answers have
 * their own, stricter policy where they carry one.
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths the app itself routes (apps/ui/web/src/lib/router.ts); nothing under /api/. */
export const UI_ROUTES: readonly string[] = ['/', '/tasks/*', '/groups/*'];

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

interface Asset {
  body: Buffer;
  contentType: string;
}

export interface UiFiles {
  readonly index: Buffer;
  /** By file name under `assets/`: the only names ever served, looked up exactly (S12). */
  readonly assets: ReadonlyMap<string, Asset>;
}

/**
 * Reads the built UI into memory once, at start: a few hundred kilobytes, and no path a
 * request names ever reaches the file system. Undefined when the UI was not built.
 */
export async function loadUi(dir: string = DEFAULT_UI_DIR): Promise<UiFiles | undefined> {
  const index = await readFile(join(dir, 'index.html')).catch(() => undefined);
  if (!index) return undefined;
  const assets = new Map<string, Asset>();
  for (const name of await readdir(join(dir, 'assets'))) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType) {
      assets.set(name, { body: await readFile(join(dir, 'assets', name)), contentType });
    }
  }
  return { index, assets };
}

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', UI_CONTENT_SECURITY_POLICY)
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin');
}

/**
 * Serves the UI: its page at each of its routes (revalidated each time, so a new release
 * shows at once) and its content-hashed assets (cached for a year: a new build has new
 * names). Any other path, /api/ above all, is left to the API's own routes and 404s.
 */
export function mountUi(app: FastifyInstance, files: UiFiles): void {
  const page = async (_request: unknown, reply: FastifyReply) =>
    securityHeaders(reply)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(files.index);
  for (const route of UI_ROUTES) app.get(route, page);
  app.get<{ Params: { name: string } }>('/assets/:name', async (request, reply) => {
    const asset = files.assets.get(request.params.name);
    if (!asset) return reply.callNotFound();
    return securityHeaders(reply)
      .header('content-type', asset.contentType)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(asset.body);
  });
}
