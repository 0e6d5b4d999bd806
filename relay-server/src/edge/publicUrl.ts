import type { Config } from '../config/config.js';

/**
 * The address a browser opens for `host`: the scheme and port the world reaches the edge at.
 * `EDGE_PUBLIC_URL` (a proxy or load balancer in front) wins; otherwise the built-in edge is
 * plain HTTP on `EDGE_PORT` and Caddy is HTTPS on `EDGE_PORT`; with `EDGE_MODE=off` another
 * edge serves, assumed HTTPS on 443 unless `EDGE_PUBLIC_URL` says otherwise. Default ports
 * (80 for http, 443 for https) are left out, as a browser shows them.
 */
export function publicUrlOf(
  config: Pick<Config, 'edgeMode' | 'edgePort' | 'edgePublicUrl'>,
  host: string,
): string {
  const base = config.edgePublicUrl
    ? new URL(config.edgePublicUrl)
    : new URL(
        config.edgeMode === 'builtin'
          ? `http://${host}:${config.edgePort}`
          : config.edgeMode === 'caddy'
            ? `https://${host}:${config.edgePort}`
            : `https://${host}`,
      );
  // WHATWG URL drops the scheme's default port by itself.
  base.hostname = host;
  return base.origin;
}
