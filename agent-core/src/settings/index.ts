/** The app's settings in lowdb: relay URL, connections, preferences. Never a secret. */
export {
  openSettings,
  SETTINGS_FILE_NAME,
  type OpenSettingsOptions,
  type SettingsStore,
} from './settingsStore.js';
export { SettingsError, type SettingsErrorCode } from './settingsError.js';
export { findSecretLikeField, type SecretFinding } from './secretGuard.js';
export {
  Settings,
  ConnectionSettings,
  ConnectionId,
  ConnectionKind,
  RelayTransport,
  NewConnection,
  ConnectionPatch,
  Preferences,
  PreferencesPatch,
  WindowBounds,
  Target,
  DEFAULT_RELAY_URL,
  SETTINGS_VERSION,
  defaultSettings,
} from './settingsSchema.js';
