/**
 * Every environment variable the relay reads: name, default, description, one variable a
 * line. The README's configuration table is this list (e2e/readme.test.ts checks it), and
 * config.test.ts wants a bad value for each name.
 */
// One row a line, as the README's table shows them: a row reads and diffs as one line, where
// prettier would wrap the long descriptions into blocks of the same shape.
// prettier-ignore
export const CONFIG_VARIABLES = [
  ['RELAY_HOST', '127.0.0.1', 'Address the Cloud API listens on.'],
  ['RELAY_PORT', '8787', 'Port the Cloud API listens on.'],
  ['RELAY_DATA_DIR', '.data/relay', 'Where the store, keys and mail outbox live.'],
  ['RELAY_PUBLIC_URL', 'http://<RELAY_HOST>:<RELAY_PORT>', 'Base URL used in email links and Stripe redirect URLs.'],
  ['RELAY_BASE_DOMAIN', 'localhost', 'Customer subdomains live under it (`<sub>.<base>`).'],
  ['RELAY_SECRET', 'generated', 'Token signing secret (32+ chars). Generated once and kept in the data dir when unset.'],
  ['RELAY_TRUST_PROXY', 'false', 'A reverse proxy sits in front: client addresses (rate limits, sign-in throttling) come from its X-Forwarded-For, and the edge keeps its X-Forwarded-*, Forwarded and X-Real-IP, appending the client.'],
  ['LOG_LEVEL', 'info', 'fatal, error, warn, info, debug, trace or silent.'],
  ['METRICS_TOKEN', '(public)', 'Bearer token /metrics asks for (16+ chars). Set it when the API port is reachable from outside.'],
  ['SMTP_URL', '(outbox)', 'smtp(s)://user:pass@host:port. Unset: each mail is a JSON file in <data dir>/outbox/.'],
  ['STRIPE_SECRET_KEY', '(billing off)', 'Stripe API key. Unset: every account is Free and checkout answers 503.'],
  ['STRIPE_WEBHOOK_SECRET', '—', 'Signing secret of the webhook endpoint (whsec_…). Required with STRIPE_SECRET_KEY.'],
  ['STRIPE_PRICE_PRO', '—', 'Price id of the Pro plan. Required with STRIPE_SECRET_KEY.'],
  ['STRIPE_PRICE_BUSINESS', '—', 'Price id of the Business plan. Required with STRIPE_SECRET_KEY.'],
  ['STRIPE_API_BASE', '(api.stripe.com)', 'http(s) URL the Stripe client talks to instead of Stripe.'],
  ['DNS_SERVERS', '(system)', 'Comma-separated host:port resolvers for custom-domain CNAME checks.'],
  ['TUNNEL_CIDR', '10.100.0.0/16', 'Tunnel address pool; the server takes the first address.'],
  ['WG_ENDPOINT', '<RELAY_BASE_DOMAIN>:51820', 'host:port agents dial for WireGuard.'],
  ['WG_MODE', 'off', 'off (peers kept in the store only), wireguard-go or kernel.'],
  ['WG_INTERFACE', 'ccwg0', 'Name of the WireGuard server interface.'],
  ['WG_LISTEN_PORT', '51820', 'UDP port of the WireGuard server interface.'],
  ['EDGE_MODE', 'builtin', 'builtin (the Node proxy on EDGE_HOST:EDGE_PORT), caddy (program Caddy, HTTPS) or off.'],
  ['EDGE_HOST', '0.0.0.0', 'Address the built-in edge listens on.'],
  ['EDGE_PORT', '8080', 'Port the edge listens on (the built-in proxy, or Caddy’s HTTPS server).'],
  ['EDGE_PUBLIC_URL', '(from EDGE_MODE and EDGE_PORT)', 'Scheme and port browsers reach the edge at, as a URL on RELAY_BASE_DOMAIN (e.g. https://example.com behind a TLS proxy). Instance addresses shown to users use it.'],
  ['EDGE_CONNECT_TIMEOUT_MS', '5000', 'How long the edge waits for a TCP connection through the tunnel before the offline page.'],
  ['EDGE_RESPONSE_TIMEOUT_MS', '60000', 'How long the edge waits for the app’s response headers once the request is sent (504 after).'],
  ['EDGE_IDLE_TIMEOUT_MS', '120000', 'A request or response body that moves no byte for this long is cut (built-in edge).'],
  ['EDGE_KEEPALIVE_TIMEOUT_MS', '65000', 'How long the built-in edge keeps an idle client connection open.'],
  ['EDGE_CADDY_ADMIN', 'http://127.0.0.1:2019', 'Caddy’s admin API: an http:// URL or unix:/path/to/admin.sock (EDGE_MODE=caddy).'],
  ['EDGE_CADDY_ASK_LISTEN', '127.0.0.1:0', 'host:port of the internal listener that answers Caddy’s on-demand TLS `ask` (0 = any port).'],
  ['EDGE_CADDY_ISSUER', 'acme', 'acme (Caddy’s default public issuers) or internal (Caddy’s local CA, for tests and LANs).'],
  ['DOMAIN_REVERIFY_INTERVAL_S', '3600', 'Seconds between CNAME re-checks of custom domains (verified and pending); 0 turns it off.'],
  ['DOMAIN_PENDING_TTL_H', '72', 'Hours an unverified custom-domain claim holds its name; then anyone may claim it.'],
  ['DOMAIN_RELEASE_GRACE_H', '168', 'Hours a verified custom domain whose CNAME moved away stays with its owner before release.'],
] as const;
