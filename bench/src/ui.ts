/**
 * bench/ui: what the web UI costs a browser before its first page shows.
 *
 * Reads the built UI (apps/ui/build, made by `npm run build`) as the control plane
 * serves it: the scripts and stylesheets its page names, and every module those
 * scripts import statically (what a browser fetches before the first render), each
 * compressed with gzip at level 9 as a server or CDN would send it. Target: under
 * 250 KB of JavaScript, printed next to the same sums uncompressed.
 *
 * Then, against `bulwark serve` (a fresh data directory), the group page in headless
 * Chromium with 2,000 tasks (bench/src/ui-group.ts). Target: shown and interactive in
 * under 1 s. And the log page following 10 MiB of streamed log (bench/src/ui-log.ts).
 *
 * Misses are printed, not failed: this is a measurement.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { startServerProcess } from './server-process.js';
import { benchGroupPage } from './ui-group.js';
import { benchLogPage } from './ui-log.js';

const TARGET_KB = 250;
const buildDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../apps/ui/build');

interface Sizes {
  files: string[];
  raw: number;
  gzip: number;
}

/** The page's own scripts and stylesheets, and the static imports of its scripts. */
async function firstPageFiles(kind: 'js' | 'css'): Promise<Sizes> {
  const html = await readFile(join(buildDir, 'index.html'), 'utf8');
  const attribute =
    kind === 'js' ? /<script[^>]*\ssrc="([^"]+)"/g : /<link[^>]*\shref="([^"]+\.css)"/g;
  const queue = [...html.matchAll(attribute)].map((m) => m[1]!);
  if (kind === 'js') {
    for (const m of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g))
      queue.push(m[1]!);
  }
  const seen = new Set<string>();
  const sizes: Sizes = { files: [], raw: 0, gzip: 0 };
  while (queue.length > 0) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    seen.add(path);
    const body = await readFile(join(buildDir, path));
    sizes.files.push(path);
    sizes.raw += body.length;
    sizes.gzip += gzipSync(body, { level: 9 }).length;
    if (kind === 'js') {
      // Static imports between chunks (`import{...}from"./x.js"`); dynamic import() is
      // not needed for the first page and is left out.
      for (const m of body
        .toString('utf8')
        .matchAll(/(?:^|[;}\s])import(?:[^"'()]*?from)?\s*"(\.\/[^"]+\.js)"/g)) {
        queue.push(join(dirname(path), m[1]!));
      }
    }
  }
  return sizes;
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

const js = await firstPageFiles('js');
const css = await firstPageFiles('css');
console.log('bench/ui: the first page of the built UI (apps/ui/build), gzip -9');
console.log(
  `  JavaScript: ${kb(js.gzip)} gzipped (${kb(js.raw)} raw) in ${js.files.length} file(s): ${js.files.join(', ')}`,
);
console.log(`  CSS:        ${kb(css.gzip)} gzipped (${kb(css.raw)} raw)`);
console.log(
  `  target: JavaScript under ${TARGET_KB} KB gzipped: ${js.gzip < TARGET_KB * 1024 ? 'met' : 'MISSED'} ` +
    `(${((js.gzip / (TARGET_KB * 1024)) * 100).toFixed(0)}% of the budget)`,
);

const server = await startServerProcess();
try {
  await benchGroupPage(server);
  await benchLogPage(server);
} finally {
  await server.stop();
}
