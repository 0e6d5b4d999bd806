import type { LogEntry } from '../desktop/desktopApi.js';

/** Keeps the latest log entries for the log view and tells listeners about each new one. */
export class LogBook {
  private entries: LogEntry[] = [];
  private nextId = 1;
  private readonly listeners = new Set<(e: LogEntry) => void>();

  constructor(
    private readonly capacity = 2000,
    private readonly sink?: (e: LogEntry) => void,
  ) {}

  add(
    level: LogEntry['level'],
    message: string,
    connectionId: string | null = null,
    at = new Date(),
  ): LogEntry {
    const entry: LogEntry = {
      id: this.nextId++,
      at: at.toISOString(),
      level,
      connectionId,
      message,
    };
    this.entries.push(entry);
    if (this.entries.length > this.capacity)
      this.entries.splice(0, this.entries.length - this.capacity);
    this.sink?.(entry);
    for (const l of this.listeners) l(entry);
    return entry;
  }

  list(options: { connectionId?: string; limit?: number } = {}): LogEntry[] {
    const matching = options.connectionId
      ? this.entries.filter((e) => e.connectionId === options.connectionId)
      : this.entries;
    return matching.slice(-(options.limit ?? 500));
  }

  subscribe(listener: (e: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
