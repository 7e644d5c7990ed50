import * as schemas from '../schemas/scopes.js';
import { authApi } from './definition.js';

authApi.declare({
  name: 'expandScopes',
  method: 'POST',
  route: '/scopes/expand',
  input: schemas.scopeSetSchema,
  output: schemas.scopeSetSchema,
  scopes: 'auth:expand-scopes',
  title: 'Expand Scopes',
  description: 'Expands a scope set through the roles (`assume:` scopes), sorted and normalized.',
  async handler(ctx, req) {
    return { scopes: ctx.store.expand(req.body.scopes) };
  },
});

authApi.declare({
  name: 'currentScopes',
  method: 'GET',
  route: '/scopes/current',
  output: schemas.scopeSetSchema,
  scopes: 'auth:current-scopes',
  title: 'Get Current Scopes',
  description: 'The effective, expanded scopes of the credentials that signed this request.',
  async handler(_ctx, req) {
    return { scopes: [...req.caller.scopes] };
  },
});
