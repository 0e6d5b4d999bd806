import type { ConnectionView } from '@cloud-connect/agent-core/desktop';
import { connectionStatusWords } from '@cloud-connect/agent-core/status';

/** What a menu item does; main maps actions to Manager calls and window commands. */
export type TrayAction =
  | { type: 'connect'; connectionId: string }
  | { type: 'disconnect'; connectionId: string }
  | { type: 'open' }
  /** Open a connection's public address in the browser. */
  | { type: 'openUrl'; url: string }
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
 * The tray menu as a pure function of the connections: each connection with its state (the
 * words every screen uses, and why), its public address with an "Open <url>" item, a connect
 * or disconnect item, then "Open Cloud Connect" and "Quit".
 */
export function buildTrayMenu(connections: readonly ConnectionView[]): TrayMenuItem[] {
  const items: TrayMenuItem[] = [];
  if (connections.length === 0) {
    items.push({ label: 'No connections yet', enabled: false });
  }
  for (const c of connections.slice(0, MAX_LISTED)) {
    const running =
      c.status.is_running || c.status.status === 'connecting' || c.status.status === 'connected';
    const state = connectionStatusWords(c);
    const detail = state.note ?? c.publicUrl ?? c.status.hostname;
    const address: TrayMenuItem[] = c.publicUrl
      ? [
          { label: c.publicUrl, enabled: false },
          { label: `Open ${c.publicUrl}`, action: { type: 'openUrl', url: c.publicUrl } },
        ]
      : [];
    items.push({
      label: `${c.name} — ${state.words}`,
      ...(detail ? { sublabel: detail, toolTip: detail } : {}),
      submenu: [
        ...(state.note ? [{ label: state.note, enabled: false }] : []),
        ...address,
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
