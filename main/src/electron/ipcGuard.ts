import type { DesktopApi, Failure, Result } from '@cloud-connect/agent-core/desktop';
import { dispatchCall, subscribeEvents } from '../bridge/dispatch.js';
import { EVENT_CHANNEL } from './channels.js';

/*
 * The IPC guard as plain functions over the few fields of Electron's objects they read, so
 * they are tested without Electron; ipc.ts only hands them ipcMain's events and windows.
 */

/** The frame a message came from (Electron's WebFrameMain). */
export interface SenderFrame {
  readonly url: string;
}

/** What the sender check reads of an IPC event (Electron's IpcMainInvokeEvent has it). */
export interface IpcSenderEvent<Sender extends { readonly mainFrame: SenderFrame }> {
  readonly sender: Sender;
  /** Null once the frame has navigated away or gone. */
  readonly senderFrame: SenderFrame | null;
}

export interface SenderTrust<Sender> {
  /** Whether the web contents belongs to a window the app created (BrowserWindow.fromWebContents). */
  isAppWindow(sender: Sender): boolean;
  /** The app page's URL; empty until the window has been created. */
  appUrl: string;
}

/**
 * Only accept messages from the app's own windows, from their top frame, on the app's page:
 * not a subframe, not a page the window was navigated to, not a web contents the app did not
 * create (electron/fiddle's "only accept messages from BrowserWindows created by the app").
 */
export function isAppSender<Sender extends { readonly mainFrame: SenderFrame }>(
  event: IpcSenderEvent<Sender>,
  trust: SenderTrust<Sender>,
): boolean {
  const frame = event.senderFrame;
  return (
    trust.appUrl !== '' &&
    frame !== null &&
    frame === event.sender.mainFrame &&
    frame.url === trust.appUrl &&
    trust.isAppWindow(event.sender)
  );
}

export const FORBIDDEN_SENDER: Failure = {
  ok: false,
  code: 'FORBIDDEN',
  message: 'This window may not use Cloud Connect',
};

/**
 * The handler of the call channel: a sender that `isTrusted` refuses gets FORBIDDEN and the
 * API is not called; a trusted one's call is validated and run by dispatchCall.
 */
export function guardedCallHandler<Event>(
  api: DesktopApi,
  isTrusted: (event: Event) => boolean,
): (event: Event, method: unknown, args: unknown) => Promise<Result<unknown>> {
  return async (event, method, args) => {
    if (!isTrusted(event)) return FORBIDDEN_SENDER;
    return dispatchCall(api, method, args);
  };
}

/** A window events are sent to (Electron's BrowserWindow has these). */
export interface EventWindow {
  isDestroyed(): boolean;
  readonly webContents: { send(channel: string, ...args: unknown[]): void };
}

/** Send every DesktopApi event to each of the app's windows still open. */
export function forwardEvents(api: DesktopApi, windows: () => Iterable<EventWindow>): () => void {
  return subscribeEvents(api, (channel, payload) => {
    for (const win of windows()) {
      if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, channel, payload);
    }
  });
}
