export {
  authPlugin,
  startAuthService,
  type AuthService,
  type AuthServiceOptions,
} from './service.js';
export { authApi } from './api/definition.js';
export {
  ensureRootClient,
  ensureStaticClient,
  ROOT_CLIENT_ID,
  type RootCredentials,
} from './domain/bootstrap.js';
export type { AuthContext } from './domain/context.js';
