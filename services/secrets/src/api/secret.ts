import { ApiError, notFound } from '@bulwark/api';
import { queries } from '@bulwark/db';
import { withAudit } from '../domain/audited.js';
import { secretNameParam } from '../domain/secret-name.js';
import { openSecret, sealSecret, UnreadableSecretError } from '../domain/sealing.js';
import * as schemas from '../schemas/secret.js';
import { MAX_SECRET_BYTES } from '../schemas/secret.js';
import { secretsApi } from './definition.js';

const NAME_RULES = [
  'A name is 1 to 1024 printable ASCII characters and may contain `/`; split on `/`,',
  'no segment may be empty, `.` or `..`.',
].join(' ');

/** Endpoints whose route names one secret; `/` in the name arrives as `%2F`. */
const oneSecret = {
  route: '/secret/<name>',
  wildcardParam: 'name',
  params: { name: secretNameParam },
} as const;

function serialize(secret: Record<string, unknown>): string {
  let serialized: string;
  try {
    serialized = JSON.stringify(secret);
  } catch {
    // Only a value nested too deeply for the serializer gets here.
    throw new ApiError('InputValidationError', '`/secret` is nested too deeply');
  }
  const bytes = Buffer.byteLength(serialized, 'utf8');
  if (bytes > MAX_SECRET_BYTES) {
    throw new ApiError(
      'InputTooLarge',
      `The secret is ${bytes} bytes of JSON; the limit is ${MAX_SECRET_BYTES} bytes (64 KiB).`,
    );
  }
  return serialized;
}

function expiryOf(expires: string): Date {
  const date = new Date(expires);
  // The schema checked the format; a few valid-looking strings (a leap second) still
  // are not instants JavaScript can represent.
  if (Number.isNaN(date.getTime())) {
    throw new ApiError('InputValidationError', '`/expires` is not a date this service can store');
  }
  return date;
}

secretsApi.declare({
  name: 'set',
  method: 'PUT',
  ...oneSecret,
  scopes: 'secrets:set:<name>',
  input: schemas.setSecretRequest,
  output: schemas.emptyResponse,
  sensitiveInputFields: ['secret'],
  title: 'Set Secret',
  description: [
    'Creates or replaces the secret `name` with the given value and expiry. The value',
    `is any JSON object of at most 64 KiB serialized; a larger one is refused with 413`,
    `InputTooLarge. ${NAME_RULES}`,
  ].join(' '),
  async handler(ctx, req) {
    const { name } = req.params;
    const serialized = serialize(req.body.secret);
    const expires = expiryOf(req.body.expires);
    const sealedValue = sealSecret(ctx.keyring, name, serialized);
    await withAudit(ctx, async (db) => {
      const action = await queries.secrets.upsertSecret(
        db,
        { name, sealedValue, expires },
        ctx.now?.(),
      );
      return {
        result: undefined,
        audit: [
          {
            entityId: name,
            action,
            clientId: req.caller.clientId,
            details: { expires: expires.toISOString() },
          },
        ],
      };
    });
    return {};
  },
});

secretsApi.declare({
  name: 'remove',
  method: 'DELETE',
  ...oneSecret,
  scopes: 'secrets:set:<name>',
  output: schemas.emptyResponse,
  title: 'Delete Secret',
  description: 'Deletes the secret `name`; succeeds whether or not it exists.',
  async handler(ctx, req) {
    const { name } = req.params;
    await withAudit(ctx, async (db) => {
      const deleted = await queries.secrets.removeSecret(db, name);
      const entry = { entityId: name, action: 'deleted', clientId: req.caller.clientId };
      return { result: undefined, audit: deleted ? [{ ...entry, details: {} }] : [] };
    });
    return {};
  },
});

type ReadOutcome =
  | { kind: 'missing' }
  | { kind: 'unreadable' }
  | { kind: 'read'; secret: Record<string, unknown>; expires: Date };

secretsApi.declare({
  name: 'get',
  method: 'GET',
  ...oneSecret,
  scopes: 'secrets:get:<name>',
  output: schemas.getSecretResponse,
  title: 'Read Secret',
  description: [
    'Reads the secret `name`: its value and expiry. A secret that does not exist or',
    'has expired is 404. A stored value that fails authentication (moved from another',
    'name, altered, or sealed with a key no longer in the keyring) is never returned:',
    'the answer is a 500 saying so, the service log records it without the name, and',
    'the audit log records it with the name (action `unreadable`).',
  ].join(' '),
  async handler(ctx, req) {
    const { name } = req.params;
    const caller = req.caller.clientId;
    const outcome = await withAudit<ReadOutcome>(ctx, async (db) => {
      const row = await queries.secrets.getSecret(db, name, ctx.now?.());
      if (!row) return { result: { kind: 'missing' }, audit: [] };
      let secret: Record<string, unknown>;
      try {
        secret = openSecret(ctx.keyring, name, row.sealedValue);
      } catch (err) {
        if (!(err instanceof UnreadableSecretError)) throw err;
        const audit = [{ entityId: name, action: 'unreadable', clientId: caller, details: {} }];
        return { result: { kind: 'unreadable' }, audit };
      }
      const audit = [{ entityId: name, action: 'read', clientId: caller, details: {} }];
      return { result: { kind: 'read', secret, expires: row.expires }, audit };
    });
    switch (outcome.kind) {
      case 'missing':
        throw notFound('Secret');
      case 'unreadable':
        // Fail closed and loudly: a value that does not authenticate is neither
        // returned nor passed off as absent, which a caller could take for "not
        // configured" and carry on without it.
        req.log.error(
          { endpoint: 'get' },
          'a stored secret value failed authentication; the audit log names it (action "unreadable")',
        );
        throw new ApiError(
          'InternalServerError',
          [
            'The stored value of this secret failed authentication and cannot be returned.',
            'It may have been altered, or sealed with a key that is no longer in the keyring.',
            'The event is in the audit log; setting the secret again replaces the value.',
          ].join(' '),
        );
      case 'read':
        return { secret: outcome.secret, expires: outcome.expires.toISOString() };
    }
  },
});
