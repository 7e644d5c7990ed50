import { decodeContinuationToken, encodeContinuationToken } from '@bulwark/api';
import { queries } from '@bulwark/db';
import { continuationQuery, limitQuery, listSecretsResponse, MAX_PAGE } from '../schemas/secret.js';
import { secretsApi } from './definition.js';

secretsApi.declare({
  name: 'list',
  method: 'GET',
  route: '/secrets',
  query: { continuationToken: continuationQuery, limit: limitQuery },
  scopes: 'secrets:list-secrets',
  output: listSecretsResponse,
  title: 'List Secrets',
  description: [
    'Lists the names of secrets that have not expired, in byte order, at most `limit`',
    `(default and maximum ${MAX_PAGE}) per call; pass the returned \`continuationToken\``,
    'to get the next page. It is absent on the last page. Values are never listed.',
  ].join(' '),
  async handler(ctx, req) {
    const after = decodeContinuationToken(req.query.continuationToken);
    const requested = req.query.limit === undefined ? MAX_PAGE : Number(req.query.limit);
    const limit = Math.min(Math.max(requested, 1), MAX_PAGE);
    // One row more than the page tells whether another page exists.
    const names = await queries.secrets.listSecretNames(ctx.pool, {
      after,
      limit: limit + 1,
      now: ctx.now?.(),
    });
    const page = names.slice(0, limit);
    const last = page.at(-1);
    return {
      secrets: page,
      ...(names.length > limit && last !== undefined
        ? { continuationToken: encodeContinuationToken(last) }
        : {}),
    };
  },
});
