import type { LogEntry } from '@cloud-connect/agent-core/desktop';
import { track } from './requests.js';
import type { SliceCreator } from './storeTypes.js';

/** How many entries the log view keeps; older ones drop off the top. */
export const MAX_LOG_ENTRIES = 1000;
/** The filter value that shows every connection's entries. */
export const ALL_CONNECTIONS = 'all';

export interface LogsSlice {
  /** Oldest first, unique by id. */
  logs: LogEntry[];
  /** A connection id, or ALL_CONNECTIONS. */
  logFilter: string;
  /** Keep the view scrolled to the newest entry. */
  followLogs: boolean;
  loadLogs(): Promise<void>;
  /** Takes one entry pushed by `onLog`. */
  appendLog(entry: LogEntry): void;
  setLogFilter(filter: string): void;
  setFollowLogs(follow: boolean): void;
}

/** Merges entries by id (a reload after a reconnect overlaps what events delivered), oldest first. */
export function mergeLogs(current: LogEntry[], incoming: LogEntry[]): LogEntry[] {
  const byId = new Map(current.map((e) => [e.id, e]));
  for (const entry of incoming) byId.set(entry.id, entry);
  const merged = [...byId.values()].sort((a, b) => a.id - b.id);
  return merged.length > MAX_LOG_ENTRIES ? merged.slice(-MAX_LOG_ENTRIES) : merged;
}

export const createLogsSlice: SliceCreator<LogsSlice> = (set, _get, deps) => ({
  logs: [],
  logFilter: ALL_CONNECTIONS,
  followLogs: true,

  loadLogs: async () => {
    const result = await track(set, 'loadLogs', () => deps.api.getLogs({ limit: 500 }));
    if (result.ok) set((s) => ({ logs: mergeLogs(s.logs, result.value) }));
  },

  appendLog: (entry) =>
    set((s) => {
      const last = s.logs[s.logs.length - 1];
      // Events arrive in order: append without re-sorting unless one is out of place.
      if (!last || entry.id > last.id) {
        const logs = [...s.logs, entry];
        return { logs: logs.length > MAX_LOG_ENTRIES ? logs.slice(-MAX_LOG_ENTRIES) : logs };
      }
      return { logs: mergeLogs(s.logs, [entry]) };
    }),

  setLogFilter: (filter) => set({ logFilter: filter }),
  setFollowLogs: (follow) => set({ followLogs: follow }),
});
