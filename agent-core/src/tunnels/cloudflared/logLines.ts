import type { DriverLogLine } from '../driver.js';

/**
 * Pure parsers for cloudflared's log output. cloudflared logs through zerolog's console
 * writer on stderr: `<RFC3339 time> <LVL> <message> key=value key="quoted value" …`, fields
 * sorted by key, values Go-quoted when they hold spaces, quotes or backslashes. Usage errors
 * (e.g. a malformed token) are printed bare, without time or level.
 */

/** What a log line tells the driver. */
export type CloudflaredLogEvent =
  /** An edge connection came up (`Registered tunnel connection connIndex=N …`). */
  | { kind: 'registered'; connIndex: number; location: string | null }
  /** An edge connection went away (`Unregistered tunnel connection`, `Connection terminated`, `Serve tunnel error`). */
  | { kind: 'connectionLost'; connIndex: number; reason: string | null }
  /** The remotely-managed configuration arrived (`Updated to new configuration config="…"`). */
  | { kind: 'configuration'; hostnames: string[]; version: number | null }
  /** The token could not be parsed; cloudflared exits at once. */
  | { kind: 'invalidToken' }
  /** The edge refused a well-formed token (`Register tunnel error from server side error="Unauthorized: …"`). */
  | { kind: 'edgeRejected'; reason: string }
  /** The edge could not be reached (`Failed to dial a quic connection`, …). */
  | { kind: 'edgeUnreachable'; reason: string }
  /** All connections are gone and cloudflared gives up (`no more connections active and exiting`). */
  | { kind: 'exiting' }
  | { kind: 'other' };

export interface ParsedLogLine {
  level: DriverLogLine['level'];
  /** The line without its time and level (what a log view shows). */
  text: string;
  /** The message without time, level and fields. */
  message: string;
  fields: Record<string, string>;
  event: CloudflaredLogEvent;
}

/** cloudflared's exact usage error for a token that does not parse (FACTS.md). */
export const INVALID_TOKEN_MESSAGE = 'Provided Tunnel token is not valid.';

const LEVELS: Record<string, DriverLogLine['level']> = {
  TRC: 'debug',
  DBG: 'debug',
  INF: 'info',
  WRN: 'warn',
  ERR: 'error',
  FTL: 'error',
  PNC: 'error',
};

const JSON_LEVELS: Record<string, DriverLogLine['level']> = {
  trace: 'debug',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'error',
  panic: 'error',
};

/** `<time> <LVL> rest`; the time is optional so that lines without one still parse. */
const CONSOLE_LINE = /^(?:(\d{4}-\d{2}-\d{2}T\S+)\s+)?(TRC|DBG|INF|WRN|ERR|FTL|PNC)\s+(.*)$/;
/** One `key=value` field: a Go-quoted string or a bare run of non-spaces. */
const FIELD = /(?:^|\s)([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|\S*)/g;

/** Undo Go's strconv.Quote (a superset of JSON's escapes in practice). */
function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  try {
    return JSON.parse(value) as string;
  } catch {
    // \a, \v or \xNN are valid Go but not JSON; strip the escaping backslashes instead.
    return value.slice(1, -1).replace(/\\(.)/g, '$1');
  }
}

/** Split `message key=value …` into the message and its fields. */
export function parseFields(rest: string): { message: string; fields: Record<string, string> } {
  const fields: Record<string, string> = {};
  let messageEnd = rest.length;
  for (const match of rest.matchAll(FIELD)) {
    const [, key, raw] = match;
    if (key === undefined || raw === undefined) continue;
    if (messageEnd === rest.length) messageEnd = match.index;
    fields[key] = unquote(raw);
  }
  return { message: rest.slice(0, messageEnd).trim(), fields };
}

/**
 * The public hostnames of a remotely-managed tunnel, from the `config` field of the
 * `Updated to new configuration` line: every ingress rule's `hostname`, in order, without
 * duplicates. A config that is not JSON yields the hostnames found by pattern.
 */
export function hostnamesFromConfig(config: string): string[] {
  const found: string[] = [];
  try {
    const parsed = JSON.parse(config) as { ingress?: unknown };
    if (Array.isArray(parsed.ingress)) {
      for (const rule of parsed.ingress as unknown[]) {
        const hostname = (rule as { hostname?: unknown } | null)?.hostname;
        if (typeof hostname === 'string' && hostname !== '') found.push(hostname);
      }
    }
  } catch {
    for (const m of config.matchAll(/"hostname"\s*:\s*"([^"]+)"/g)) if (m[1]) found.push(m[1]);
  }
  return [...new Set(found)];
}

function connIndexOf(fields: Record<string, string>): number | null {
  const raw = fields.connIndex;
  if (raw === undefined || !/^\d+$/.test(raw)) return null;
  return Number(raw);
}

/** What a message (with its fields) means for the tunnel. */
export function classify(message: string, fields: Record<string, string>): CloudflaredLogEvent {
  const connIndex = connIndexOf(fields);
  if (message.startsWith(INVALID_TOKEN_MESSAGE)) return { kind: 'invalidToken' };
  if (message.startsWith('Registered tunnel connection') && connIndex !== null) {
    return { kind: 'registered', connIndex, location: fields.location ?? null };
  }
  if (
    connIndex !== null &&
    (message.startsWith('Unregistered tunnel connection') ||
      message.startsWith('Connection terminated') ||
      message.startsWith('Serve tunnel error'))
  ) {
    return { kind: 'connectionLost', connIndex, reason: fields.error ?? null };
  }
  if (message.startsWith('Updated to new configuration') && fields.config !== undefined) {
    const version = fields.version !== undefined ? Number(fields.version) : NaN;
    return {
      kind: 'configuration',
      hostnames: hostnamesFromConfig(fields.config),
      version: Number.isFinite(version) ? version : null,
    };
  }
  if (message.startsWith('Register tunnel error from server side')) {
    const reason = fields.error ?? '';
    if (reason.startsWith('Unauthorized')) return { kind: 'edgeRejected', reason };
    return { kind: 'edgeUnreachable', reason: reason || message };
  }
  if (
    message.startsWith('Failed to dial') ||
    message.startsWith('Unable to establish connection')
  ) {
    return { kind: 'edgeUnreachable', reason: fields.error ?? message };
  }
  if (message.startsWith('no more connections active and exiting')) return { kind: 'exiting' };
  return { kind: 'other' };
}

/**
 * Parse one line of cloudflared output: the console format, the JSON format
 * (`--output json`) or a bare line such as a usage error.
 */
export function parseLogLine(line: string): ParsedLogLine {
  const text = line.replace(/\r$/, '');
  if (text.startsWith('{')) {
    try {
      const obj = JSON.parse(text) as Record<string, unknown>;
      if (typeof obj.message === 'string') {
        const fields: Record<string, string> = {};
        for (const [k, v] of Object.entries(obj)) {
          if (k === 'message' || k === 'level' || k === 'time') continue;
          fields[k] = typeof v === 'string' ? v : JSON.stringify(v);
        }
        const level = JSON_LEVELS[String(obj.level)] ?? 'info';
        const text = [obj.message, ...Object.entries(fields).map(([k, v]) => `${k}=${v}`)].join(
          ' ',
        );
        return { level, text, message: obj.message, fields, event: classify(obj.message, fields) };
      }
    } catch {
      // Not JSON after all: fall through to the console format.
    }
  }
  const m = CONSOLE_LINE.exec(text);
  if (m) {
    const level = LEVELS[m[2] ?? 'INF'] ?? 'info';
    const rest = m[3] ?? '';
    const { message, fields } = parseFields(rest);
    return { level, text: rest, message, fields, event: classify(message, fields) };
  }
  const message = text.trim();
  const event = classify(message, {});
  const level: DriverLogLine['level'] = event.kind === 'invalidToken' ? 'error' : 'info';
  return { level, text: message, message, fields: {}, event };
}
