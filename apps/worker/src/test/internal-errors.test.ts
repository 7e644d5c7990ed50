// test-tier: unit
import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ControlsFailed, EngineRefused, WorkerConfigError } from '../index.js';
import { DataDirInUse } from '../daemon/worker-instance.js';
import { CgroupControllersMissing } from '../sandbox/cgroup-hierarchy.js';
import { NulInArgument } from '../sandbox/launcher.js';
import { AllowEntryError } from '../sandbox/network/allow-entry.js';
import { DestinationRefused } from '../sandbox/network/destinations.js';
import { ToolError } from '../sandbox/run-tool.js';

const repository = resolve(fileURLToPath(import.meta.url), '../../../../..');

/** Class name to code, from the "Internal errors" table of docs/errors.md. */
async function documentedCodes(): Promise<Map<string, string>> {
  const text = await readFile(resolve(repository, 'docs/errors.md'), 'utf8');
  const section = text.split('\n## Internal errors\n')[1] ?? '';
  const rows = section.matchAll(/^\| `(\w+)` \| `(BULWARK_[A-Z0-9_]+)` \|/gm);
  return new Map([...rows].map(([, name, code]) => [name as string, code as string]));
}

// One instance of every internal error class the worker exports.
const INSTANCES: [string, () => Error][] = [
  ['WorkerConfigError', () => new WorkerConfigError('m')],
  ['EngineRefused', () => new EngineRefused('m')],
  ['ControlsFailed', () => new ControlsFailed([{ control: 'c', ok: false, detail: 'd' }])],
  ['DataDirInUse', () => new DataDirInUse('m')],
  ['CgroupControllersMissing', () => new CgroupControllersMissing('m')],
  ['ToolError', () => new ToolError('nft', 'no', 1)],
  ['NulInArgument', () => new NulInArgument()],
  ['AllowEntryError', () => new AllowEntryError('m')],
  ['DestinationRefused', () => new DestinationRefused('m')],
];

test('every internal error of the worker has its class name and a documented code', async () => {
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

test('a tool failure keeps its message and its exit status in the message', () => {
  // The exit status stays in the message; `code` is the class's stable code.
  const err = new ToolError('nft', 'Error: syntax\nmore', 2);
  assert.equal(err.message, 'nft failed (exit 2): Error: syntax; more');
  assert.equal(err.code, 'BULWARK_TOOL_FAILED');
});
