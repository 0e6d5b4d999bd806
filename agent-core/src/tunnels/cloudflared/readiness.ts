/**
 * cloudflared's readiness endpoint: `GET /ready` on the metrics server answers 200 when at
 * least one edge connection is up, else 503, with the body
 * `{"status":200,"readyConnections":N,"connectorId":"<uuid>"}`.
 */

export interface Readiness {
  /** The HTTP status was 200. */
  ready: boolean;
  status: number;
  readyConnections: number;
  connectorId: string | null;
}

/** Read a `/ready` answer; the HTTP status decides readiness, the body adds the count. */
export function parseReadyResponse(status: number, body: string): Readiness {
  let readyConnections = 0;
  let connectorId: string | null = null;
  try {
    const parsed = JSON.parse(body) as { readyConnections?: unknown; connectorId?: unknown };
    if (typeof parsed.readyConnections === 'number' && parsed.readyConnections >= 0) {
      readyConnections = parsed.readyConnections;
    }
    if (typeof parsed.connectorId === 'string') connectorId = parsed.connectorId;
  } catch {
    // Older cloudflared versions or a proxy in between: the status code alone still counts.
  }
  return { ready: status === 200, status, readyConnections, connectorId };
}

/**
 * Ask the metrics server at `host:port` whether the tunnel is ready. Resolves `null` when
 * the server does not answer (not listening yet, or the process is gone).
 */
export async function fetchReadiness(
  metricsAddress: string,
  timeoutMs = 2_000,
): Promise<Readiness | null> {
  try {
    const res = await fetch(`http://${metricsAddress}/ready`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    return parseReadyResponse(res.status, await res.text());
  } catch {
    return null;
  }
}
