import type { TunnelKind } from './driver.js';
import type { TunnelErrorCode } from './tunnelError.js';

export type TunnelState = 'disconnected' | 'connecting' | 'connected' | 'error';

/**
 * A tunnel's status: the fields of seed 000's `TunnelStatusResponse`, plus what the desktop
 * app shows (kind, all hostnames, the error code, the next retry, driver details).
 */
export interface TunnelStatus {
  status: TunnelState;
  is_connected: boolean;
  is_running: boolean;
  hostname: string | null;
  error: string | null;
  uptime_seconds: number;
  /** ISO-8601 time the tunnel last became connected. */
  last_connected: string | null;
  reconnect_count: number;
  kind: TunnelKind;
  hostnames: string[];
  error_code: TunnelErrorCode | null;
  /** ISO-8601 time of the next restart attempt while backing off. */
  next_retry_at: string | null;
  details: Record<string, number | string | null>;
}

/** The result of a connectivity test (seed 000 P13-2.4, `TunnelTestResponse`). */
export interface TunnelTestResult {
  success: boolean;
  error: string | null;
  error_code: TunnelErrorCode | null;
  latency_ms: number | null;
  hostname: string | null;
  /**
   * What was tested: a tunnel `started` for the test and stopped after it (none ran), the one
   * `running` in this app probed where it stands, or one running `elsewhere` (another process
   * or machine) as the relay sees it. Running tunnels are never stopped or started again.
   */
  tested?: 'started' | 'running' | 'elsewhere';
  /** What the result rests on, in words, when that is not obvious (e.g. the relay's view). */
  note?: string | null;
}
