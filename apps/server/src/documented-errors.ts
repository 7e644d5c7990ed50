import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repository = resolve(fileURLToPath(import.meta.url), '../../../..');

/** Class name to code, from the "Internal errors" table of docs/errors.md. */
async function documentedCodes(): Promise<Map<string, string>> {
  const text = await readFile(resolve(repository, 'docs/errors.md'), 'utf8');
  const section = text.split('\n## Internal errors\n')[1] ?? '';
  const rows = section.matchAll(/^\| `(\w+)` \| `(BULWARK_[A-Z0-9_]+)` \|/gm);
  return new Map([...rows].map(([, name, code]) => [name as string, code as string]));
}

/**
 * Holds internal error classes to docs/errors.md (for tests): each has its class's name,
 * prints as it, and has the code the docs give it; no code is given to two classes.
 * Each package's test passes one instance of every class it exports.
 */
export async function assertDocumentedErrors(
  instances: readonly (readonly [className: string, make: () => Error])[],
): Promise<void> {
  const documented = await documentedCodes();
  for (const [className, make] of instances) {
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
  const codes = [...documented.values()];
  assert.equal(new Set(codes).size, codes.length, 'docs/errors.md gives one code to two classes');
}
