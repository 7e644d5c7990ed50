#!/usr/bin/env node
// `npm run docs:settings`: rewrites the settings tables from their declarations: the
// control plane's in docs/operations.md (between <!-- settings:start --> and
// <!-- settings:end -->) from apps/server/src/settings.ts, and the worker's in
// docs/worker.md (the worker-settings and worker-test-settings sections) from
// apps/worker/src/daemon/worker-settings.ts. The tests
// apps/server/src/test/settings-docs.test.ts and
// apps/worker/src/daemon/worker-settings-docs.test.ts fail while they differ.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { renderSettingsTable, withSettingsTable } = await import(
  new URL('../apps/server/dist/settings-docs.js', import.meta.url).href
);
const { withWorkerSettings } = await import(
  new URL('../apps/worker/dist/daemon/worker-settings-docs.js', import.meta.url).href
);

async function rewrite(relative, render) {
  const path = `${root}${relative}`;
  const before = await readFile(path, 'utf8');
  const after = render(before);
  if (after === before) {
    console.log(`${relative}: the settings tables are up to date`);
  } else {
    await writeFile(path, after);
    console.log(`${relative}: the settings tables were rewritten`);
  }
}

await rewrite('docs/operations.md', (text) => withSettingsTable(text, renderSettingsTable()));
await rewrite('docs/worker.md', withWorkerSettings);
