import { homedir } from 'node:os';
import path from 'node:path';

/**
 * Where the desktop manager keeps settings (and the encrypted secrets file when that store is
 * used): CLOUD_CONNECT_DATA_DIR, else the platform's per-user config folder.
 */
export function desktopDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLOUD_CONNECT_DATA_DIR) return path.resolve(env.CLOUD_CONNECT_DATA_DIR);
  if (process.platform === 'darwin')
    return path.join(homedir(), 'Library', 'Application Support', 'Cloud Connect');
  if (process.platform === 'win32')
    return path.join(env.APPDATA ?? path.join(homedir(), 'AppData', 'Roaming'), 'Cloud Connect');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(homedir(), '.config'), 'Cloud Connect');
}
