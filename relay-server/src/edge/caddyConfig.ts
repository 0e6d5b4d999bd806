import type { EdgeTimeouts } from '../config/config.js';
import { offlinePage, timeoutPage, unknownHostPage, type EdgePage } from './pages.js';
import type { ResolvedRoute } from './routeTable.js';

/** The key of relay-server's server under `apps.http.servers`; everything else is the operator's. */
export const CADDY_SERVER_KEY = 'cloudconnect';
/** `@id`s of the objects relay-server owns, so they can be found (and checked) by id. */
export const CADDY_SERVER_ID = 'cloudconnect-edge';
export const CADDY_TLS_POLICY_ID = 'cloudconnect-tls';

type Json = Record<string, unknown>;

export interface CaddyEdgeSettings {
  /** Caddy's listener for the edge, e.g. `:443` or `127.0.0.1:8443`. */
  listen: string;
  /** The on-demand TLS `ask` URL (relay-server's internal listener). */
  askUrl: string;
  issuer: 'acme' | 'internal';
  timeouts: Pick<EdgeTimeouts, 'connectMs' | 'responseMs' | 'keepAliveMs'>;
  /**
   * `127.0.0.1:port` of relay-server's stream listener (the built-in edge's stream forwarding,
   * on loopback), where hosts of instances live on a stream session go; null without one.
   */
  streamListener: string | null;
}

function staticPage(page: EdgePage, status: number | string = page.status): Json {
  const headers: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(page.headers)) {
    if (k !== 'content-length') headers[k] = [v];
  }
  return { handler: 'static_response', status_code: status, headers, body: page.body };
}

/** A reverse_proxy to one upstream with the edge's timeouts (Caddy carries WebSockets itself). */
function proxyTo(dial: string, s: CaddyEdgeSettings, extra: Json = {}): Json {
  return {
    handler: 'reverse_proxy',
    upstreams: [{ dial }],
    transport: {
      protocol: 'http',
      dial_timeout: `${s.timeouts.connectMs}ms`,
      response_header_timeout: `${s.timeouts.responseMs}ms`,
      ...extra,
    },
  };
}

/** Where one instance's hosts go: its stream sessions, its WireGuard tunnel, or the offline page. */
function instanceHandler(
  first: ResolvedRoute,
  host: string,
  s: CaddyEdgeSettings,
  onStream: boolean,
): Json {
  if (onStream && s.streamListener) {
    // Caddy pools connections to the listener for 2 min by default, longer than the
    // listener keeps an idle one (EDGE_KEEPALIVE_TIMEOUT_MS): Caddy lets go first, so it never
    // sends a request onto a connection the listener is closing.
    const idle = Math.max(500, Math.floor(s.timeouts.keepAliveMs / 2));
    return proxyTo(s.streamListener, s, { keep_alive: { idle_timeout: `${idle}ms` } });
  }
  if (first.upstream) return proxyTo(`${first.upstream.host}:${first.upstream.port}`, s);
  return staticPage(offlinePage(host));
}

/**
 * relay-server's Caddy server: one route per instance matching its subdomain and verified
 * custom domains, a reverse_proxy to the stream listener while the instance has a live stream
 * session (as the built-in edge, the stream path first), else to `tunnelIp:port` while it is
 * online over WireGuard (Caddy passes Host through, sets X-Forwarded-* and carries WebSockets
 * itself), else the offline page; a 404 page for any other host, and error routes that turn
 * dial failures and timeouts into the same branded pages the built-in edge serves.
 */
export function caddyServer(
  routes: ResolvedRoute[],
  s: CaddyEdgeSettings,
  onStream: ReadonlySet<string>,
): Json {
  const byInstance = new Map<string, ResolvedRoute[]>();
  for (const r of routes) {
    const list = byInstance.get(r.instance.instanceId) ?? [];
    list.push(r);
    byInstance.set(r.instance.instanceId, list);
  }
  const hostRoutes: Json[] = [];
  for (const [id, list] of byInstance) {
    const first = list[0] as ResolvedRoute;
    const hosts = list.map((r) => r.host).sort();
    hostRoutes.push({
      match: [{ host: hosts }],
      handle: [instanceHandler(first, hosts[0] as string, s, onStream.has(id))],
      terminal: true,
    });
  }
  return {
    '@id': CADDY_SERVER_ID,
    listen: [s.listen],
    routes: [...hostRoutes, { handle: [staticPage(unknownHostPage(null))] }],
    errors: {
      routes: [
        {
          match: [{ expression: '{http.error.status_code} == 504' }],
          handle: [staticPage(timeoutPage('this address'))],
        },
        { handle: [staticPage(offlinePage('this address'), 502)] },
      ],
    },
  };
}

const asObject = (v: unknown): Json =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? { ...(v as Json) } : {};

/**
 * `current` (Caddy's running config, possibly null) with relay-server's parts put in: its
 * server (`onStream`: the instances live on a stream session) under `apps.http.servers.cloudconnect`, the on-demand `ask` URL, and one on-demand
 * automation policy for exactly the routed hosts (none when there are none: a policy without
 * subjects would cover every name). Everything else — admin, storage, logging, the
 * operator's own sites and policies — is kept as it is.
 */
export function mergeCaddyConfig(
  current: unknown,
  routes: ResolvedRoute[],
  s: CaddyEdgeSettings,
  onStream: ReadonlySet<string>,
): Json {
  const config = asObject(current);
  const apps = asObject(config.apps);
  const httpApp = asObject(apps.http);
  const servers = asObject(httpApp.servers);
  servers[CADDY_SERVER_KEY] = caddyServer(routes, s, onStream);
  httpApp.servers = servers;
  apps.http = httpApp;

  const tls = asObject(apps.tls);
  const automation = asObject(tls.automation);
  automation.on_demand = { ...asObject(automation.on_demand), ask: s.askUrl };
  const policies = (Array.isArray(automation.policies) ? automation.policies : []).filter(
    (p) => asObject(p)['@id'] !== CADDY_TLS_POLICY_ID,
  );
  const subjects = [...new Set(routes.map((r) => r.host))].sort();
  if (subjects.length > 0) {
    policies.unshift({
      '@id': CADDY_TLS_POLICY_ID,
      subjects,
      on_demand: true,
      ...(s.issuer === 'internal' ? { issuers: [{ module: 'internal' }] } : {}),
    });
  }
  if (policies.length > 0) automation.policies = policies;
  else delete automation.policies;
  tls.automation = automation;
  apps.tls = tls;
  config.apps = apps;
  return config;
}
