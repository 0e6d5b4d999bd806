import type { EventEmitter } from 'node:events';
import type { TunnelError } from './tunnelError.js';

export type TunnelKind = 'cloudflared' | 'wireguard' | 'stream' | 'relay';

/** What a driver knows about its tunnel right now. */
export interface DriverProbe {
  /** The process or interface exists. */
  running: boolean;
  /** Traffic can flow (cloudflared: /ready is 200; WireGuard: the server answers through the tunnel). */
  connected: boolean;
  /** Public hostname(s) the tunnel serves, first is primary. */
  hostnames: string[];
  /** The latest problem, if any. */
  error: TunnelError | null;
  /** Driver-specific figures for the status view (connections, handshake age, bytes…). */
  details?: Record<string, number | string | null>;
}

export interface DriverLogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  at: Date;
}

export interface DriverEventMap {
  /** Connected or not, as soon as the driver learns it (log line, readiness, handshake). */
  probe: [DriverProbe];
  /** The tunnel went away on its own (process exit, interface gone, token revoked). */
  exit: [TunnelError];
  /** A line for the log view; drivers never put secrets in it. */
  log: [DriverLogLine];
}

/**
 * One tunnel implementation behind one interface (SPEC: start / stop / status / events).
 * A driver runs one tunnel at a time and may be started again after it stopped or exited.
 */
export interface TunnelDriver {
  readonly kind: TunnelKind;
  readonly events: EventEmitter<DriverEventMap>;
  /**
   * Start the tunnel. Resolves once it is started (a process spawned, an interface up), not
   * necessarily connected; rejects with a TunnelError when starting is impossible.
   */
  start(): Promise<void>;
  /** Stop and clean up: no process, no interface, no temporary file left. Idempotent. */
  stop(): Promise<void>;
  /** Probe now (the supervisor's health check calls this). */
  status(): Promise<DriverProbe>;
  /**
   * Dial the local app the tunnel forwards to, once, as the tunnel would: null when it
   * accepts, else why not. Only drivers that forward to a target they know implement it.
   */
  checkTarget?(): Promise<TunnelError | null>;
}
