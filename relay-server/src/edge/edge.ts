import type { Services } from '../services.js';
import type { StreamPaths } from '../streamTransport/streamForward.js';
import { BuiltinEdge } from './builtinEdge.js';
import { CaddyEdge } from './caddyEdge.js';
import { RouteTable } from './routeTable.js';
import type { EdgeHealth, RunningEdge } from './runningEdge.js';
import { kernelRouteGuard } from './tunnelRouteGuard.js';

/** The edge a relay runs: its route table and, unless `EDGE_MODE=off`, a proxy. */
export interface Edge {
  routes: RouteTable;
  /** null with `EDGE_MODE=off`. */
  proxy: RunningEdge | null;
  health(): Promise<EdgeHealth>;
  close(): Promise<void>;
}

/** The health of a process with no edge (`EDGE_MODE=off`). */
export const NO_EDGE: EdgeHealth = { ok: true, detail: 'off: no edge in this process' };

/**
 * Start the edge `config.edgeMode` asks for. The route table follows the relay's events in
 * every mode (so tests and `off` can still ask where a host goes).
 */
export async function startEdge(
  services: Pick<Services, 'config' | 'store' | 'events' | 'logger' | 'liveness'>,
  streams?: StreamPaths,
): Promise<Edge> {
  const { config, store, events, logger, liveness } = services;
  // The edge dials a tunnel IP only where this host routes it into WireGuard or loopback. With
  // WG_MODE=off WireGuard (if any) runs outside the relay and the host's routes decide; the
  // relay's own interface in the other modes is WireGuard by construction.
  const guard = kernelRouteGuard({
    trustedInterfaces: config.wgMode === 'off' ? [] : [config.wgInterface],
  });
  const routes = await RouteTable.open({
    store,
    events,
    baseDomain: config.baseDomain,
    logger,
    guard,
    tunnelCidr: config.tunnelCidr,
    isConnected: (i) => liveness.isConnected(i),
  });
  let proxy: RunningEdge | null = null;
  try {
    if (config.edgeMode === 'builtin') {
      proxy = await BuiltinEdge.start({
        host: config.edgeHost,
        port: config.edgePort,
        routes,
        ...(streams ? { streams } : {}),
        timeouts: config.edgeTimeouts,
        trustProxy: config.trustProxy,
        logger,
      });
    } else if (config.edgeMode === 'caddy') {
      proxy = await CaddyEdge.start({
        routes,
        store,
        logger,
        caddy: config.caddy,
        edgeHost: config.edgeHost,
        edgePort: config.edgePort,
        timeouts: config.edgeTimeouts,
        ...(streams ? { streams } : {}),
      });
    }
  } catch (e) {
    routes.close();
    throw e;
  }
  const running = proxy;
  return {
    routes,
    proxy,
    health: () => (running ? running.health() : Promise.resolve({ ...NO_EDGE })),
    async close() {
      await running?.close();
      routes.close();
    },
  };
}
