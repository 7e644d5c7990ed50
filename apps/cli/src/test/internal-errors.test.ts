// test-tier: unit
import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DependencyCycleError, InvalidScopeError, TemplateError } from '@bulwark/scopes';
import { NotConfirmed } from '../lib/confirm.js';
import { UsageError } from '../lib/credentials.js';

const repository = resolve(fileURLToPath(import.meta.url), '../../../../..');

/** Class name to code, from the "Internal errors" table of docs/errors.md. */
async function documentedCodes(): Promise<Map<string, string>> {
  const text = await readFile(resolve(repository, 'docs/errors.md'), 'utf8');
  const section = text.split('\n## Internal errors\n')[1] ?? '';
  const rows = section.matchAll(/^\| `(\w+)` \| `(BULWARK_[A-Z0-9_]+)` \|/gm);
  return new Map([...rows].map(([, name, code]) => [name as string, code as string]));
}

// One instance of every internal error class of the command line and the scopes package.
const INSTANCES: [string, () => Error][] = [
  ['UsageError', () => new UsageError('m')],
  ['NotConfirmed', () => new NotConfirmed('m')],
  ['TemplateError', () => new TemplateError('m')],
  ['InvalidScopeError', () => new InvalidScopeError('s', 'm')],
  ['DependencyCycleError', () => new DependencyCycleError(['a', 'a'])],
];

test('every internal error of the command line and scopes has its class name and a documented code', async () => {
  const documented = await documentedCodes();
  for (const [className, make] of INSTANCES) {
    const err = make() as Error & { code?: unknown };
    assert.equal(err.name, className, `${className} has the name ${err.name}`);
    assert.equal(err.constructor.name, className);
    assert.ok(String(err).startsWith(`${className}: `), `${className} prints as ${String(err)}`);
    assert.equal(typeof err.code, 'string', `${className} has no code`);
    assert.equal(
      documented.get(className),
      err.code,
      `${className}'s code is not in docs/errors.md`,
    );
  }
});
