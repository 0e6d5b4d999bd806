import type {
  ConnectionView,
  DesktopEvents,
  DesktopMethod,
  LogEntry,
  Result,
  SessionView,
} from './desktopApi.js';

/**
 * The web host's WebSocket protocol (`/ws`), the browser-side equivalent of Electron's
 * contextBridge. The renderer opens the socket, proves it holds the host's random access token
 * in its first message, then makes calls and receives pushed events.
 *
 *   client → { type: 'hello', token }                 server → { type: 'ready', version }
 *   client → { type: 'call', id, method, args }       server → { type: 'result', id, result }
 *                                                     server → { type: 'event', channel, payload }
 *
 * A bad token closes the socket with code 4401; a malformed message with 4400.
 */
export const BRIDGE_PATH = '/ws';
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_BAD_MESSAGE = 4400;

export type ClientMessage =
  | { type: 'hello'; token: string }
  | { type: 'call'; id: number; method: DesktopMethod; args: unknown[] };

/** The event channels of the DesktopApi (`DesktopEvents` maps each to its subscribe method). */
export type EventChannel = keyof typeof DesktopEvents;

export interface EventPayloads {
  connections: ConnectionView[];
  session: SessionView;
  log: LogEntry;
}

export type ServerMessage =
  | { type: 'ready'; version: string }
  | { type: 'result'; id: number; result: Result<unknown> }
  | { [C in EventChannel]: { type: 'event'; channel: C; payload: EventPayloads[C] } }[EventChannel];
