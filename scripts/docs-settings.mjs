#!/usr/bin/env node
// `npm run docs:settings`: rewrites the settings table of docs/operations.md (between
// <!-- settings:start --> and <!-- settings:end -->) from apps/server/src/settings.ts.
// The test apps/server/src/test/settings-docs.test.ts fails while the two differ.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { renderSettingsTable, withSettingsTable } = await import(
  new URL('../apps/server/dist/settings-docs.js', import.meta.url).href
);
const path = `${root}docs/operations.md`;
const before = await readFile(path, 'utf8');
const after = withSettingsTable(before, renderSettingsTable());
if (after === before) {
  console.log('docs/operations.md: the settings table is up to date');
} else {
  await writeFile(path, after);
  console.log('docs/operations.md: the settings table was rewritten');
}
