// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { assertDocumentedErrors } from '@bulwark/server/documented-errors';
import { ControlsFailed, EngineRefused, WorkerConfigError } from '../index.js';
import { DataDirInUse } from '../daemon/worker-instance.js';
import { CgroupControllersMissing } from '../sandbox/cgroup-hierarchy.js';
import { NulInArgument } from '../sandbox/launcher.js';
import { AllowEntryError } from '../sandbox/network/allow-entry.js';
import { DestinationRefused } from '../sandbox/network/destinations.js';
import { ToolError } from '../sandbox/run-tool.js';

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
  await assertDocumentedErrors(INSTANCES);
});

test('a tool failure keeps its message and its exit status in the message', () => {
  // The exit status stays in the message; `code` is the class's stable code.
  const err = new ToolError('nft', 'Error: syntax\nmore', 2);
  assert.equal(err.message, 'nft failed (exit 2): Error: syntax; more');
  assert.equal(err.code, 'BULWARK_TOOL_FAILED');
});
