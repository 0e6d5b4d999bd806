import type { ConnectionKind } from '../desktop/desktopApi.js';
import type { TunnelStatus } from '../tunnels/status.js';

/** The status of a connection that is not running. */
export function idleStatus(kind: ConnectionKind): TunnelStatus {
  return {
    status: 'disconnected',
    is_connected: false,
    is_running: false,
    hostname: null,
    error: null,
    uptime_seconds: 0,
    last_connected: null,
    reconnect_count: 0,
    kind: kind === 'cloudflare' ? 'cloudflared' : 'relay',
    hostnames: [],
    error_code: null,
    next_retry_at: null,
    details: {},
  };
}
