// test-tier: unit
import { test } from 'node:test';
import { assertDocumentedErrors } from '../documented-errors.js';
import { BlobRejectedError, InvalidBlobNameError } from '@bulwark/blobs';
import { KeyringError } from '@bulwark/crypto';
import { MigrationError } from '@bulwark/db';
import { UnreadableSecretError } from '@bulwark/secrets-service';

// One instance of every internal error class the server's packages export.
const INSTANCES: [string, () => Error][] = [
  ['KeyringError', () => new KeyringError('m')],
  ['MigrationError', () => new MigrationError('m')],
  ['InvalidBlobNameError', () => new InvalidBlobNameError()],
  ['BlobRejectedError', () => new BlobRejectedError('too-large', 'm')],
  ['UnreadableSecretError', () => new UnreadableSecretError()],
];

test('every internal error of the server packages has its class name and a documented code', async () => {
  await assertDocumentedErrors(INSTANCES);
});
