import type { DesktopApi } from '@cloud-connect/agent-core/desktop';
import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { dispatchCall, subscribeEvents } from '../bridge/dispatch.js';
import { CALL_CHANNEL, EVENT_CHANNEL } from './channels.js';

/** Only accept messages from the app's own windows, from their top frame on the app's page. */
function fromOurWindow(event: IpcMainInvokeEvent, appUrl: string): boolean {
  const win = BrowserWindow.fromWebContents(event.sender);
  return (
    win !== null &&
    event.senderFrame !== null &&
    event.senderFrame === event.sender.mainFrame &&
    event.senderFrame.url === appUrl
  );
}

/**
 * The DesktopApi over IPC: one handler validates the sender frame, then the method name and
 * its arguments (dispatchCall), and answers a Result. Events go to every app window.
 */
export function setupIpc(api: DesktopApi, appUrl: () => string): void {
  ipcMain.handle(CALL_CHANNEL, async (event, method: unknown, args: unknown) => {
    if (!fromOurWindow(event, appUrl())) {
      return { ok: false, code: 'FORBIDDEN', message: 'This window may not use Cloud Connect' };
    }
    return dispatchCall(api, method, args);
  });
  subscribeEvents(api, (channel, payload) => {
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, channel, payload);
    }
  });
}
