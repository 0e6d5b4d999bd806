import type { TunnelTransport } from '../api/instances.js';
import type { RelayTransport } from '../settings/settingsSchema.js';

/** The transport choices by the names the connection form and the status views give them. */
export const TRANSPORT_LABELS: Readonly<Record<RelayTransport, string>> = {
  auto: 'Automatic',
  wireguard: 'WireGuard',
  stream: 'Stream over HTTPS',
};

export interface TransportWords {
  /** The choice in the settings. */
  chosen: RelayTransport;
  /** The path the tunnel uses now (`status.details.transport`); null while none is known. */
  inUse: TunnelTransport | null;
  /** For `auto`: why that path (`status.details.transport_reason`), when the driver said. */
  reason: string | null;
  /**
   * In a few words, the same on every surface: "via stream transport — no permission to create
   * a network interface" while it runs, else the choice ("Automatic").
   */
  summary: string;
}

/** What a connection's view carries of its transport (ConnectionView, a status file's record). */
export interface TransportInput {
  transport: RelayTransport | null;
  status: { details: Record<string, number | string | null> };
}

/**
 * The driver details `transportWords` reads: a view that shows its words need not list them as
 * figures too.
 */
export const TRANSPORT_DETAILS: ReadonlySet<string> = new Set(['transport', 'transport_reason']);

const PATH_WORDS: Readonly<Record<TunnelTransport, string>> = {
  wireguard: 'WireGuard',
  stream: 'stream transport',
};

/**
 * A relay connection's transport in words: the one in use and, for `auto`, why; null for a
 * connection without one (Cloudflare).
 */
export function transportWords(c: TransportInput): TransportWords | null {
  // A status file of an older version has no transport at all: nothing to say either.
  if (!c.transport || !Object.hasOwn(TRANSPORT_LABELS, c.transport)) return null;
  const { transport: path, transport_reason: why } = c.status.details;
  const inUse = path === 'wireguard' || path === 'stream' ? path : null;
  const reason = c.transport === 'auto' && typeof why === 'string' && why ? why : null;
  let summary = TRANSPORT_LABELS[c.transport];
  if (inUse) {
    summary = `via ${PATH_WORDS[inUse]}`;
    if (reason) summary += ` — ${reason}`;
    else if (c.transport === 'auto') summary += ' (chosen automatically)';
  }
  return { chosen: c.transport, inUse, reason, summary };
}
