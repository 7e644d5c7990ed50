import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { nodePolyfills } from 'vite-plugin-node-polyfills';

const uiRoot = resolve(fileURLToPath(import.meta.url), '../../..');

/**
 * Bundles the third-party test page (apps/ui/test-page): the published
 * taskcluster-client-web, with the Node built-ins its Hawk library needs polyfilled as
 * Taskcluster's own UI bundles it. Returns the directory to serve; the caller removes it.
 */
export async function bundleTestPage(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'bulwark-ui-test-page-'));
  await build({
    root: join(uiRoot, 'test-page'),
    configFile: false,
    logLevel: 'error',
    plugins: [
      nodePolyfills({
        include: ['crypto', 'url', 'stream', 'buffer'],
        globals: { Buffer: true, process: true, global: true },
      }),
    ],
    build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 4096 },
  });
  return outDir;
}
