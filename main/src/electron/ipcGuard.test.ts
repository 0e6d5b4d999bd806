import type { ConnectionView } from '@cloud-connect/agent-core/desktop';
import { describe, expect, it } from 'vitest';
import { recordingDesktopApi } from '../testing/recordingDesktopApi.js';
import { EVENT_CHANNEL } from './channels.js';
import {
  FORBIDDEN_SENDER,
  forwardEvents,
  guardedCallHandler,
  isAppSender,
  type EventWindow,
  type SenderFrame,
} from './ipcGuard.js';

const APP = 'file:///opt/Cloud%20Connect/resources/renderer/index.html';

/** A web contents as the guard sees it: an id (to tell the app's windows) and its top frame. */
interface FakeContents {
  readonly id: number;
  readonly mainFrame: SenderFrame;
}

/** The app's window (web contents 1) on its page; `appWindows` lists the app's web contents. */
function setup(options: { appUrl?: string } = {}) {
  const appWindows = new Set<number>([1]);
  const { api, calls } = recordingDesktopApi();
  const trust = {
    appUrl: options.appUrl ?? APP,
    isAppWindow: (sender: FakeContents) => appWindows.has(sender.id),
  };
  const handle = guardedCallHandler(
    api,
    (event: { sender: FakeContents; senderFrame: SenderFrame | null }) => isAppSender(event, trust),
  );
  const contents = (id: number, url = APP): FakeContents => ({ id, mainFrame: { url } });
  /** An event from the top frame of `sender`. */
  const fromTop = (sender: FakeContents) => ({ sender, senderFrame: sender.mainFrame });
  return { handle, calls, contents, fromTop };
}

describe('the IPC sender check', () => {
  it('dispatches a call from the top frame of the app’s window on the app’s page', async () => {
    const { handle, calls, contents, fromTop } = setup();

    expect(await handle(fromTop(contents(1)), 'listConnections', [])).toEqual({
      ok: true,
      value: 'listConnections',
    });
    expect(calls).toEqual([{ method: 'listConnections', args: [] }]);
  });

  it('refuses a sender outside a known BrowserWindow (a web contents the app did not create)', async () => {
    const { handle, calls, contents, fromTop } = setup();

    expect(await handle(fromTop(contents(2)), 'listConnections', [])).toEqual(FORBIDDEN_SENDER);
    expect(calls).toEqual([]);
  });

  it.each([
    ['another site', 'https://evil.example/'],
    ['another file', 'file:///tmp/page.html'],
    ['the app page with a query', `${APP}?x=1`],
    ['a blank page', 'about:blank'],
  ])('refuses the app’s window once it shows %s', async (_name, url) => {
    const { handle, calls, contents, fromTop } = setup();

    expect(await handle(fromTop(contents(1, url)), 'signOut', [])).toEqual(FORBIDDEN_SENDER);
    expect(calls).toEqual([]);
  });

  it('refuses a subframe of the app’s window, even one on the app’s page', async () => {
    const { handle, calls, contents } = setup();
    const window = contents(1);

    const fromFrame = { sender: window, senderFrame: { url: APP } };

    expect(await handle(fromFrame, 'listConnections', [])).toEqual(FORBIDDEN_SENDER);
    expect(calls).toEqual([]);
  });

  it('refuses a message whose frame is gone', async () => {
    const { handle, calls, contents } = setup();

    expect(await handle({ sender: contents(1), senderFrame: null }, 'getSession', [])).toEqual(
      FORBIDDEN_SENDER,
    );
    expect(calls).toEqual([]);
  });

  it('refuses everything before the window exists (no app URL yet), even from a blank frame', async () => {
    const { handle, calls, contents, fromTop } = setup({ appUrl: '' });

    expect(await handle(fromTop(contents(1, '')), 'getSession', [])).toEqual(FORBIDDEN_SENDER);
    expect(calls).toEqual([]);
  });

  it('still checks a trusted sender’s call against the contract', async () => {
    const { handle, calls, contents, fromTop } = setup();

    expect(await handle(fromTop(contents(1)), 'deleteInstance', [42])).toMatchObject({
      ok: false,
      code: 'VALIDATION_ERROR',
    });
    expect(await handle(fromTop(contents(1)), '__proto__', [])).toMatchObject({
      ok: false,
      code: 'UNKNOWN_METHOD',
    });
    expect(calls).toEqual([]);
  });
});

describe('forwardEvents', () => {
  /** A window that records what it is sent. */
  function window(destroyed = false) {
    const sent: unknown[][] = [];
    const win: EventWindow = {
      isDestroyed: () => destroyed,
      webContents: { send: (...args: unknown[]) => sent.push(args) },
    };
    return { win, sent };
  }

  it('sends every event to each open window, none to a destroyed one, and stops when undone', () => {
    const { api, emit } = recordingDesktopApi();
    const open = window();
    const closed = window(true);
    const stop = forwardEvents(api, () => [open.win, closed.win]);
    const list: ConnectionView[] = [];

    emit('connections', list);
    stop();
    emit('connections', list);

    expect(open.sent).toEqual([[EVENT_CHANNEL, 'connections', list]]);
    expect(closed.sent).toEqual([]);
  });
});
