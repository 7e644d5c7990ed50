export {
  secretsPlugin,
  startSecretsService,
  type SecretsService,
  type SecretsServiceOptions,
} from './service.js';
export { secretsApi } from './api/definition.js';
export { sweepExpiredSecrets } from './domain/sweep.js';
export { MAX_SECRET_BYTES } from './schemas/secret.js';
export { UnreadableSecretError } from './domain/sealing.js';
export type { SecretsContext } from './domain/context.js';
