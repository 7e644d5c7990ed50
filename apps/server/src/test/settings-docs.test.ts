// test-tier: unit
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../config-file.js';
import {
  generatedSection,
  REGENERATE_SETTINGS,
  renderSettingsTable,
  withSettingsTable,
} from '../settings-docs.js';
import { SERVER_SETTINGS } from '../settings.js';

const repository = resolve(fileURLToPath(import.meta.url), '../../../../..');

test('the settings table in docs/operations.md is the one the declarations render', async () => {
  const document = await readFile(resolve(repository, 'docs/operations.md'), 'utf8');
  const documented = generatedSection(document);
  assert.ok(documented !== undefined, 'docs/operations.md lost its settings markers');
  assert.equal(
    documented,
    renderSettingsTable(),
    `docs/operations.md is out of date with apps/server/src/settings.ts: run ${REGENERATE_SETTINGS}`,
  );
});

test('the check notices a changed setting: the rendered table follows the declarations', () => {
  const document = withSettingsTable(
    'a\n<!-- settings:start -->\n<!-- settings:end -->\nb',
    renderSettingsTable(),
  );
  const changed = SERVER_SETTINGS.map((setting) =>
    setting.key === 'logLevel' ? { ...setting, description: 'changed' } : setting,
  );
  assert.notEqual(generatedSection(document), renderSettingsTable(changed));
  assert.equal(generatedSection(document), renderSettingsTable());
  assert.match(document, /^a\n<!-- settings:start -->\n\| variable .*\n<!-- settings:end -->\nb$/s);
});

test('every declared setting is one row with its variable, key and option', () => {
  const rows = renderSettingsTable().split('\n').slice(2);
  assert.equal(rows.length, SERVER_SETTINGS.length);
  for (const [index, setting] of SERVER_SETTINGS.entries()) {
    assert.ok(rows[index]?.startsWith(`| \`${setting.env}\` | \`${setting.key}\` |`));
  }
  const variables = SERVER_SETTINGS.map((setting) => setting.env);
  assert.equal(new Set(variables).size, variables.length, 'a variable is declared twice');
});

test('the config file knows exactly the declared keys', async () => {
  // An unknown key's refusal lists the known ones: those are the declarations.
  const scratch = await mkdtemp(join(tmpdir(), 'bulwark-settings-'));
  const path = join(scratch, 'serve.json');
  await writeFile(path, '{"noSuchKey": 1}');
  try {
    await assert.rejects(loadConfigFile(path), (err: Error) => {
      assert.ok(err.message.endsWith(`(known: ${SERVER_SETTINGS.map((s) => s.key).join(', ')})`));
      return true;
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});
