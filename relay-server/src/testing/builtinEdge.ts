import type { TestRelay } from './testRelay.js';

/**
 * The environment of a relay whose built-in edge listens on a loopback port of its own, in
 * front of tunnel IPs from `tunnelCidr`: a 127.x range, where local servers stand in for the
 * agents' forwarders. A stand-in answers at once, so the edge gives up on one after 1 s.
 */
export function builtinEdgeEnv(tunnelCidr: string): Record<string, string> {
  return {
    TUNNEL_CIDR: tunnelCidr,
    EDGE_MODE: 'builtin',
    EDGE_HOST: '127.0.0.1',
    EDGE_PORT: '0',
    EDGE_CONNECT_TIMEOUT_MS: '1000',
  };
}

/** The URL `t`'s built-in edge listens on; throws when the relay runs another edge. */
export function builtinEdgeUrl(t: TestRelay): string {
  const proxy = t.relay.edge.proxy;
  if (proxy?.mode !== 'builtin') throw new Error('expected the built-in edge');
  return proxy.url;
}
