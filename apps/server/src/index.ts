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
export { startPlatform, type Platform, type PlatformOptions } from './platform.js';
export type { PlatformResources, ServiceTuning } from './service-plugins.js';
export type { RootCredentialsState } from './root-bootstrap.js';
