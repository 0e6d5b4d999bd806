import type { LogEntry } from '@cloud-connect/agent-core/desktop';
import { memo, useEffect, useMemo, useRef } from 'react';
import { Checkbox } from '../components/Checkbox.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { formatClock } from '../components/formatTime.js';
import { ScreenTitle } from '../components/ScreenTitle.js';
import { SelectField } from '../components/SelectField.js';
import { ALL_CONNECTIONS } from '../store/logsSlice.js';
import { useAppStore, useRequest } from '../store/StoreProvider.js';

/** The agent's log: recent entries plus live ones, filtered by connection, following the end. */
export function LogsScreen() {
  const logs = useAppStore((s) => s.logs);
  const filter = useAppStore((s) => s.logFilter);
  const follow = useAppStore((s) => s.followLogs);
  const connections = useAppStore((s) => s.connections);
  const setFilter = useAppStore((s) => s.setLogFilter);
  const setFollow = useAppStore((s) => s.setFollowLogs);
  const loadLogs = useAppStore((s) => s.loadLogs);
  const loadRequest = useRequest('loadLogs');
  const listRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    void loadLogs();
  }, [loadLogs]);

  const visible = useMemo(
    () => (filter === ALL_CONNECTIONS ? logs : logs.filter((e) => e.connectionId === filter)),
    [logs, filter],
  );
  const names = useMemo(() => new Map(connections.map((c) => [c.id, c.name])), [connections]);

  useEffect(() => {
    const list = listRef.current;
    if (follow && list) list.scrollTop = list.scrollHeight;
  }, [visible, follow]);

  return (
    <section className="screen">
      <ScreenTitle>Logs</ScreenTitle>
      <div className="toolbar">
        <SelectField
          label="Show logs for"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        >
          <option value={ALL_CONNECTIONS}>All connections</option>
          {connections.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </SelectField>
        <Checkbox label="Follow new entries" checked={follow} onChange={setFollow} />
      </div>
      <ErrorMessage error={loadRequest.error} />
      <div
        ref={listRef}
        className="log-view"
        role="log"
        aria-label="Log entries"
        tabIndex={0}
        onScroll={(event) => {
          const list = event.currentTarget;
          const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 8;
          if (follow !== atEnd) setFollow(atEnd);
        }}
      >
        {visible.length === 0 ? (
          <p className="muted">
            {loadRequest.pending ? 'Loading…' : 'Nothing logged yet for this selection.'}
          </p>
        ) : (
          <ol>
            {visible.map((entry) => (
              <LogLine key={entry.id} entry={entry} source={names.get(entry.connectionId ?? '')} />
            ))}
          </ol>
        )}
      </div>
    </section>
  );
}

/**
 * One entry. Memoised: the screen re-renders on every connections push (for the names) and every
 * new entry, and up to a thousand unchanged lines need not render again.
 */
const LogLine = memo(function LogLine({
  entry,
  source,
}: {
  entry: LogEntry;
  source: string | undefined;
}) {
  return (
    <li className={`log-line log-${entry.level}`}>
      <time dateTime={entry.at}>{formatClock(entry.at)}</time>
      <span className="log-level">{entry.level}</span>
      <span className="log-source">{source ?? (entry.connectionId ? 'connection' : 'app')}</span>
      <span className="log-message">{entry.message}</span>
    </li>
  );
});
