import type { DesktopApi } from '@cloud-connect/agent-core/desktop';
import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { CALL_CHANNEL } from './channels.js';
import { forwardEvents, guardedCallHandler, isAppSender } from './ipcGuard.js';

/**
 * The DesktopApi over IPC: one handler checks the sender (ipcGuard.ts), then the method name and
 * its arguments (dispatchCall), and answers a Result. Events go to every app window.
 */
export function setupIpc(api: DesktopApi, appUrl: () => string): void {
  const isTrusted = (event: IpcMainInvokeEvent) =>
    isAppSender(event, {
      appUrl: appUrl(),
      isAppWindow: (sender) => BrowserWindow.fromWebContents(sender) !== null,
    });
  ipcMain.handle(CALL_CHANNEL, guardedCallHandler(api, isTrusted));
  forwardEvents(api, () => BrowserWindow.getAllWindows());
}
