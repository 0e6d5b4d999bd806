export { createApp, type AppOptions } from './app.js';
export { loadConfig, ConfigError, CONFIG_VARIABLES, type Config } from './config/config.js';
export { startRelay, buildServices, type RelayOptions, type RunningRelay } from './relay.js';
export type { Services, TunnelTiming } from './services.js';
export { LowdbStore } from './store/lowdbStore.js';
export type { Store, StoreData } from './store/types.js';
