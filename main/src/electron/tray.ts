import type { ConnectionView, DesktopApi } from '@cloud-connect/agent-core/desktop';
import { Menu, nativeImage, Tray, type MenuItemConstructorOptions } from 'electron';
import { aggregateState, trayTooltip } from '../tray/aggregateState.js';
import { trayIconPath } from '../tray/trayIcons.js';
import { buildTrayMenu, type TrayAction, type TrayMenuItem } from '../tray/trayMenu.js';

export interface TrayHandlers {
  open(): void;
  quit(): void;
}

function toElectron(
  items: TrayMenuItem[],
  run: (a: TrayAction) => void,
): MenuItemConstructorOptions[] {
  return items.map((item) => {
    if (item.type === 'separator') return { type: 'separator' };
    const action = item.action;
    return {
      label: item.label ?? '',
      ...(item.enabled === false ? { enabled: false } : {}),
      ...(item.sublabel ? { sublabel: item.sublabel } : {}),
      ...(item.toolTip ? { toolTip: item.toolTip } : {}),
      ...(item.submenu ? { submenu: toElectron(item.submenu, run) } : {}),
      ...(action ? { click: () => run(action) } : {}),
    };
  });
}

/** The tray icon, tooltip and menu, rebuilt from the Manager's state on every change. */
export function setupTray(api: DesktopApi, assetsDir: string, handlers: TrayHandlers): Tray {
  const tray = new Tray(nativeImage.createFromPath(trayIconPath(assetsDir, 'off')));
  const run = (action: TrayAction) => {
    if (action.type === 'open') handlers.open();
    else if (action.type === 'quit') handlers.quit();
    else if (action.type === 'openUrl') void api.openExternal(action.url);
    else if (action.type === 'connect') void api.connect(action.connectionId);
    else void api.disconnect(action.connectionId);
  };
  const render = (connections: ConnectionView[]) => {
    tray.setImage(nativeImage.createFromPath(trayIconPath(assetsDir, aggregateState(connections))));
    tray.setToolTip(trayTooltip(connections));
    tray.setContextMenu(Menu.buildFromTemplate(toElectron(buildTrayMenu(connections), run)));
  };
  render([]);
  api.onConnections(render);
  void api.listConnections().then((r) => r.ok && render(r.value));
  tray.on('click', () => handlers.open());
  return tray;
}
