// Builds the web UI (apps/ui/web) into apps/ui/build, which the control plane serves at
// `/`. Part of `npm run build`, so `npm start`, `npm test` and CI build it from a fresh
// clone. Skipped when nothing it is built from changed since the last build (a digest
// of every input is kept beside the output), so a second build costs a few
// milliseconds and writes nothing (the unit tier runs as a user who may not write).
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ui = join(root, 'apps', 'ui');
const outDir = join(ui, 'build');
const digestFile = join(outDir, '.inputs-digest');

async function filesUnder(dir) {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(path)));
    else found.push(path);
  }
  return found;
}

async function inputsDigest() {
  const inputs = [
    ...(await filesUnder(join(ui, 'web'))),
    ...(await filesUnder(join(root, 'packages', 'scopes', 'src'))),
    join(ui, 'tsconfig.browser.json'),
    join(root, 'package-lock.json'),
    fileURLToPath(import.meta.url),
  ].sort();
  const hash = createHash('sha256');
  for (const file of inputs)
    hash
      .update(relative(root, file))
      .update('\0')
      .update(await readFile(file));
  return hash.digest('hex');
}

const digest = await inputsDigest();
const previous = await readFile(digestFile, 'utf8').catch(() => '');
if (previous === digest) process.exit(0);

const started = Date.now();
// Vite does not type-check; tsc does, without emitting.
const typecheck = spawnSync('npx', ['tsc', '-p', join(ui, 'web')], { cwd: root, stdio: 'inherit' });
if (typecheck.status !== 0) process.exit(typecheck.status ?? 1);

const { build } = await import('vite');
const { default: react } = await import('@vitejs/plugin-react');
const { nodePolyfills } = await import('vite-plugin-node-polyfills');
await build({
  root: join(ui, 'web'),
  configFile: false,
  base: '/',
  logLevel: 'warn',
  plugins: [
    react(),
    // Hawk (inside taskcluster-client-web) is written for Node: the small built-ins it
    // loads come from polyfills, `crypto` from web/src/lib/node-crypto.ts.
    nodePolyfills({ include: ['url', 'stream', 'buffer'], globals: { Buffer: true } }),
  ],
  resolve: { alias: { crypto: join(ui, 'web', 'src', 'lib', 'node-crypto.ts') } },
  build: {
    outDir,
    emptyOutDir: true,
    // Files only: no asset inlined as a data: URL, no inline script (the CSP forbids it).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1024,
    reportCompressedSize: false,
  },
});
await writeFile(digestFile, digest);
console.log(`ui: built apps/ui/build in ${Date.now() - started} ms`);
