/**
 * Times as people read them: "3 minutes ago", "in 20 seconds", and the local wall-clock time.
 * The CLI's text output uses these; `--json` keeps the ISO timestamps. `now`, the time zone and
 * the locale are passed in, so tests pin the output.
 */

export interface TimeFormatOptions {
  now: Date;
  /** IANA zone; default the process's (TZ). */
  timeZone?: string;
  /** Default the process's locale. */
  locale?: string;
}

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 86_400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** "just now", "3 minutes ago", "in 20 seconds", "2 days ago"; whole units, rounded down. */
export function relativeTime(iso: string, { now, locale }: TimeFormatOptions): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const seconds = (at - now.getTime()) / 1000;
  const abs = Math.abs(seconds);
  if (abs < 5) return 'just now';
  const fmt = new Intl.RelativeTimeFormat(locale, { numeric: 'always', style: 'long' });
  for (const [unit, size] of UNITS) {
    if (abs >= size) return fmt.format(Math.sign(seconds) * Math.floor(abs / size), unit);
  }
  return 'just now';
}

/** The local time: "14:05:09" on the same day as `now`, "7 Dec 2026, 14:05" on another. */
export function localTime(iso: string, { now, timeZone, locale }: TimeFormatOptions): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const zone = timeZone ? { timeZone } : {};
  const day = new Intl.DateTimeFormat('en-CA', { ...zone, dateStyle: 'short' });
  if (day.format(at) === day.format(now)) {
    return new Intl.DateTimeFormat(locale, {
      ...zone,
      timeStyle: 'medium',
      hourCycle: 'h23',
    }).format(at);
  }
  return new Intl.DateTimeFormat(locale, {
    ...zone,
    dateStyle: 'medium',
    timeStyle: 'short',
    hourCycle: 'h23',
  }).format(at);
}

/** "3 minutes ago (14:05:09)": when it was, and the clock time to match against logs. */
export function whenText(
  iso: string | null | undefined,
  options: TimeFormatOptions,
  never = 'never',
): string {
  if (!iso) return never;
  return `${relativeTime(iso, options)} (${localTime(iso, options)})`;
}

/** A duration in seconds: "45s", "12m05s", "3h07m". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
