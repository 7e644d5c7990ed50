export {
  SIGNING_CLIENT_ID,
  signingPlugin,
  startSigningService,
  type SigningService,
  type SigningServiceOptions,
} from './service.js';
export { signingApi } from './api/definition.js';
export type { SigningContext } from './domain/context.js';
export type { SigningPolicy } from './domain/policy.js';
