// test-tier: unit
import { test } from 'node:test';
import { assertDocumentedErrors } from '@bulwark/server/documented-errors';
import { DependencyCycleError, InvalidScopeError, TemplateError } from '@bulwark/scopes';
import { NotConfirmed } from '../lib/confirm.js';
import { UsageError } from '../lib/credentials.js';

// One instance of every internal error class of the command line and the scopes package.
const INSTANCES: [string, () => Error][] = [
  ['UsageError', () => new UsageError('m')],
  ['NotConfirmed', () => new NotConfirmed('m')],
  ['TemplateError', () => new TemplateError('m')],
  ['InvalidScopeError', () => new InvalidScopeError('s', 'm')],
  ['DependencyCycleError', () => new DependencyCycleError(['a', 'a'])],
];

test('every internal error of the command line and scopes has its class name and a documented code', async () => {
  await assertDocumentedErrors(INSTANCES);
});
