import type { LogEntry } from '@cloud-connect/agent-core/desktop';
import { describe, expect, it } from 'vitest';
import { MAX_LOG_ENTRIES, mergeLogs } from './logsSlice.js';
import { scriptedStore, settle, signedIn } from '../testing/scriptedDesktopApi.js';

function entry(id: number, message = `line ${id}`): LogEntry {
  return {
    id,
    at: '2025-06-01T12:00:00.000Z',
    level: 'info',
    connectionId: 'conn_abc123',
    message,
  };
}

describe('logsSlice', () => {
  it('loads recent entries and appends pushed ones without duplicates', async () => {
    const { store, host } = scriptedStore();
    host.answer('getSession', { ok: true, value: signedIn });
    host.answer('getLogs', { ok: true, value: [entry(1), entry(2)] });
    store.getState().start();
    await settle();

    host.emit('log', entry(2));
    host.emit('log', entry(3));

    expect(host.callsOf('getLogs')).toEqual([[{ limit: 500 }]]);
    expect(store.getState().logs.map((e) => e.id)).toEqual([1, 2, 3]);
  });

  it('keeps entries in id order when one arrives late', () => {
    const { store } = scriptedStore();

    for (const id of [1, 3, 2]) store.getState().appendLog(entry(id));

    expect(store.getState().logs.map((e) => e.id)).toEqual([1, 2, 3]);
  });

  it('keeps only the newest entries', () => {
    const many = Array.from({ length: MAX_LOG_ENTRIES + 5 }, (_, i) => entry(i + 1));

    const merged = mergeLogs([], many);

    expect(merged).toHaveLength(MAX_LOG_ENTRIES);
    expect(merged[0]?.id).toBe(6);
  });

  it('remembers the filter and whether to follow new entries', () => {
    const { store } = scriptedStore();

    store.getState().setLogFilter('conn_abc123');
    store.getState().setFollowLogs(false);

    expect(store.getState().logFilter).toBe('conn_abc123');
    expect(store.getState().followLogs).toBe(false);
  });
});
