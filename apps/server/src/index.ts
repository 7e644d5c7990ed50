export {
  checkConfig,
  parseServices,
  resolveConfig,
  SERVICE_NAMES,
  type ConfigInput,
  type PlatformConfig,
  type ServiceName,
} from './config.js';
export { loadConfigFile, type ConfigFile } from './config-file.js';
export { startPlatform, type Platform } from './platform.js';
export type { RootCredentialsState } from './root-bootstrap.js';
