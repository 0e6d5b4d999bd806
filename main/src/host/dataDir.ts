/**
 * Where the desktop manager keeps settings (and the encrypted secrets file when that store is
 * used): CLOUD_CONNECT_DATA_DIR, else the platform's per-user config folder. Defined in
 * agent-core, where `cloud-connect status` also looks for the desktop app's status files.
 */
export { desktopDataDir } from '@cloud-connect/agent-core/manager';
