/** `3725` → `1 h 2 min 5 s`; under a minute `42 s`. */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (days > 0) return `${days} d ${hours} h ${minutes} min`;
  if (hours > 0) return `${hours} h ${minutes} min ${rest} s`;
  if (minutes > 0) return `${minutes} min ${rest} s`;
  return `${rest} s`;
}

/** A timestamp in the user's locale, e.g. for "last seen". */
export function formatDateTime(iso: string | null): string {
  if (!iso) return 'never';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/**
 * How far a moment is from now, in words: "in 3 days", "in 5 hours", "2 minutes ago". Days
 * from two days on, hours from one hour, minutes below.
 */
export function formatRelative(iso: string, now = Date.now(), locale?: string): string {
  const ms = Date.parse(iso) - now;
  if (Number.isNaN(ms)) return iso;
  const words = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const abs = Math.abs(ms);
  if (abs >= 2 * 86_400_000) return words.format(Math.round(ms / 86_400_000), 'day');
  if (abs >= 3_600_000) return words.format(Math.round(ms / 3_600_000), 'hour');
  return words.format(Math.round(ms / 60_000), 'minute');
}

/** The time of day of a log entry, with seconds. */
export function formatClock(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
