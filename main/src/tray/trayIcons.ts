import path from 'node:path';
import type { AggregateState } from './aggregateState.js';

/**
 * The tray icon file for a state. Electron picks `<name>@2x.png` beside it on high-DPI screens
 * by itself, so only the 1x path is named here.
 */
export function trayIconPath(assetsDir: string, state: AggregateState): string {
  return path.join(assetsDir, 'tray', `tray-${state}.png`);
}
