import { homedir } from 'node:os';
import path from 'node:path';

/**
 * The desktop app's data dir (Electron's userData for the product name "Cloud Connect", and the
 * web host's): `CLOUD_CONNECT_DATA_DIR`, else the platform's config dir. The CLI looks here for
 * the desktop app's status files.
 */
export function desktopDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.CLOUD_CONNECT_DATA_DIR) return path.resolve(env.CLOUD_CONNECT_DATA_DIR);
  if (platform === 'darwin')
    return path.join(homedir(), 'Library', 'Application Support', 'Cloud Connect');
  if (platform === 'win32')
    return path.join(env.APPDATA ?? path.join(homedir(), 'AppData', 'Roaming'), 'Cloud Connect');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(homedir(), '.config'), 'Cloud Connect');
}

/** The CLI's data dir without `--data-dir`: `CLOUD_CONNECT_DATA_DIR`, else `~/.config/cloud-connect`. */
export function cliDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLOUD_CONNECT_DATA_DIR) return path.resolve(env.CLOUD_CONNECT_DATA_DIR);
  return path.join(env.XDG_CONFIG_HOME ?? path.join(homedir(), '.config'), 'cloud-connect');
}
