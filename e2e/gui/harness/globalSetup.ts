import { existsSync } from 'node:fs';
import path from 'node:path';
import { hasCommand } from '@cloud-connect/agent-core/testing';
import { REPO_ROOT } from '../../harness/relayProcess.js';
import { CHROMIUM_PATH } from './chromium.js';

/**
 * Runs once before the GUI suite: everything it needs must be on the machine. A missing piece
 * fails the run with what to install; it is never a silent skip (CI runs `npm test`).
 */
export default function globalSetup(): void {
  const missing: string[] = [];
  if (!existsSync(CHROMIUM_PATH))
    missing.push(`Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`);
  for (const command of ['dbus-daemon', 'dbus-send', 'gnome-keyring-daemon', 'secret-tool']) {
    if (!hasCommand(command))
      missing.push(`${command} (apt-get install dbus gnome-keyring libsecret-tools)`);
  }
  if (!existsSync(path.join(REPO_ROOT, 'renderer/dist/index.html')))
    missing.push('the built renderer (npm run build:renderer)');
  if (missing.length) {
    throw new Error(`The GUI tests cannot run. Missing:\n  - ${missing.join('\n  - ')}`);
  }
}
