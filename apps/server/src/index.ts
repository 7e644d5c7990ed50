export { resolveConfig, type ConfigInput, type PlatformConfig } from './config.js';
export { startPlatform, type Platform } from './platform.js';
