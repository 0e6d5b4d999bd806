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
  timeouts: Pick<EdgeTimeouts, 'connectMs' | 'responseMs'>;
}

function staticPage(page: EdgePage, status: number | string = page.status): Json {
  const headers: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(page.headers)) {
    if (k !== 'content-length') headers[k] = [v];
  }
  return { handler: 'static_response', status_code: status, headers, body: page.body };
}

/**
 * relay-server's Caddy server: one route per instance matching its subdomain and verified
 * custom domains, a reverse_proxy to `tunnelIp:port` when it is online (Caddy sets
 * X-Forwarded-* and carries WebSockets itself), the offline page when it is not, a 404 page
 * for any other host, and error routes that turn dial failures and timeouts into the same
 * branded pages the built-in edge serves.
 */
export function caddyServer(routes: ResolvedRoute[], s: CaddyEdgeSettings): Json {
  const byInstance = new Map<string, ResolvedRoute[]>();
  for (const r of routes) {
    const list = byInstance.get(r.instance.instanceId) ?? [];
    list.push(r);
    byInstance.set(r.instance.instanceId, list);
  }
  const hostRoutes: Json[] = [];
  for (const list of byInstance.values()) {
    const first = list[0] as ResolvedRoute;
    const hosts = list.map((r) => r.host).sort();
    hostRoutes.push({
      match: [{ host: hosts }],
      handle: [
        first.upstream
          ? {
              handler: 'reverse_proxy',
              upstreams: [{ dial: `${first.upstream.host}:${first.upstream.port}` }],
              transport: {
                protocol: 'http',
                dial_timeout: `${s.timeouts.connectMs}ms`,
                response_header_timeout: `${s.timeouts.responseMs}ms`,
              },
            }
          : staticPage(offlinePage(hosts[0] as string)),
      ],
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
 * server under `apps.http.servers.cloudconnect`, the on-demand `ask` URL, and one on-demand
 * automation policy for exactly the routed hosts (none when there are none: a policy without
 * subjects would cover every name). Everything else — admin, storage, logging, the
 * operator's own sites and policies — is kept as it is.
 */
export function mergeCaddyConfig(
  current: unknown,
  routes: ResolvedRoute[],
  s: CaddyEdgeSettings,
): Json {
  const config = asObject(current);
  const apps = asObject(config.apps);
  const httpApp = asObject(apps.http);
  const servers = asObject(httpApp.servers);
  servers[CADDY_SERVER_KEY] = caddyServer(routes, s);
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
