/** What an edge reports about itself: `ok` false takes `/health` to degraded. */
export interface EdgeHealth {
  ok: boolean;
  detail: string;
}

/**
 * The contract every edge proxy keeps (`EDGE_MODE=builtin`, `caddy`, and the transports to
 * come): where it serves, a health check and a clean stop. The relay holds its proxy by this
 * interface only, so a new edge is one class implementing it.
 */
export interface RunningEdge {
  readonly mode: 'builtin' | 'caddy';
  /** Where clients reach the edge on this host, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** The port the edge serves on: the one it was given, or the one it got for `EDGE_PORT=0`. */
  readonly port: number;
  health(): Promise<EdgeHealth>;
  close(): Promise<void>;
}
