import type { ConnectionView } from '@cloud-connect/agent-core/desktop';
import { stateWord } from './aggregateState.js';

/** What a menu item does; main maps actions to Manager calls and window commands. */
export type TrayAction =
  | { type: 'connect'; connectionId: string }
  | { type: 'disconnect'; connectionId: string }
  | { type: 'open' }
  | { type: 'quit' };

/** A subset of Electron's MenuItemConstructorOptions, with actions instead of click handlers. */
export interface TrayMenuItem {
  label?: string;
  type?: 'normal' | 'separator';
  enabled?: boolean;
  sublabel?: string;
  toolTip?: string;
  action?: TrayAction;
  submenu?: TrayMenuItem[];
}

const MAX_LISTED = 12;

/**
 * The tray menu as a pure function of the connections: each connection with its state and a
 * connect or disconnect item, then "Open Cloud Connect" and "Quit".
 */
export function buildTrayMenu(connections: readonly ConnectionView[]): TrayMenuItem[] {
  const items: TrayMenuItem[] = [];
  if (connections.length === 0) {
    items.push({ label: 'No connections yet', enabled: false });
  }
  for (const c of connections.slice(0, MAX_LISTED)) {
    const running =
      c.status.is_running || c.status.status === 'connecting' || c.status.status === 'connected';
    const detail = c.status.status === 'error' ? c.status.error : c.status.hostname;
    items.push({
      label: `${c.name} — ${stateWord(c)}`,
      ...(detail ? { sublabel: detail, toolTip: detail } : {}),
      submenu: [
        ...(detail ? [{ label: detail, enabled: false }] : []),
        running
          ? { label: 'Disconnect', action: { type: 'disconnect', connectionId: c.id } }
          : { label: 'Connect', action: { type: 'connect', connectionId: c.id } },
      ],
    });
  }
  if (connections.length > MAX_LISTED) {
    items.push({ label: `…and ${connections.length - MAX_LISTED} more`, enabled: false });
  }
  items.push({ type: 'separator' });
  items.push({ label: 'Open Cloud Connect', action: { type: 'open' } });
  items.push({ label: 'Quit', action: { type: 'quit' } });
  return items;
}
