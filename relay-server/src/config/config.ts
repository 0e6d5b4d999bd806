import { isIP, isIPv4 } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { parseCidr, type Cidr } from '../tunnelAddresses/cidr.js';

export { CONFIG_VARIABLES } from './variables.js';

export type WgMode = 'off' | 'wireguard-go' | 'kernel';
export type EdgeMode = 'off' | 'builtin' | 'caddy';

export interface StripeConfig {
  secretKey: string;
  webhookSecret: string;
  pricePro: string;
  priceBusiness: string;
  /** Where the Stripe client sends requests; tests point it at a local stand-in. */
  apiBase: URL | null;
}

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  publicUrl: string;
  baseDomain: string;
  /** Signing secret; null means "generate one and keep it in the data dir". */
  secret: string | null;
  smtpUrl: string | null;
  stripe: StripeConfig | null;
  /** host:port list for CNAME lookups; null means the system resolver. */
  dnsServers: string[] | null;
  tunnelCidr: Cidr;
  wgEndpoint: string;
  wgMode: WgMode;
  wgInterface: string;
  wgListenPort: number;
  edgeMode: EdgeMode;
  edgeHost: string;
  edgePort: number;
  /**
   * Scheme and port browsers reach the edge at (`EDGE_PUBLIC_URL`, e.g. `https://example.com`
   * behind a TLS proxy); null derives them from the edge mode and `EDGE_PORT`.
   */
  edgePublicUrl: string | null;
  edgeTimeouts: EdgeTimeouts;
  caddy: CaddyConfig;
  /** Seconds between re-checks of verified domains; 0 = never. */
  domainReverifyIntervalSeconds: number;
  /** Hours a custom-domain claim may stay unverified before the name is free again. */
  domainPendingTtlHours: number;
  /** Hours a verified domain whose CNAME moved away is kept for its owner before release. */
  domainReleaseGraceHours: number;
  trustProxy: boolean;
  /** Bearer token `/metrics` requires (`METRICS_TOKEN`); null leaves it open. */
  metricsToken: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** The edge's time limits, in milliseconds. */
export interface EdgeTimeouts {
  connectMs: number;
  responseMs: number;
  idleMs: number;
  keepAliveMs: number;
}

/** How relay-server reaches and programs Caddy (`EDGE_MODE=caddy`). */
export interface CaddyConfig {
  /** Admin API: `http://host:port` or `unix:/path`. */
  admin: string;
  /** host:port of the internal on-demand TLS `ask` listener. */
  askHost: string;
  askPort: number;
  issuer: 'acme' | 'internal';
}

/** A bad environment variable: the message names it and says what is expected. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function port(env: Env, name: string, fallback: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError(name, `must be a port number 0–65535, got "${raw}"`);
  }
  return n;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function httpUrl(name: string, raw: string): URL {
  const parsed = z.url({ protocol: /^https?$/ }).safeParse(raw);
  if (!parsed.success) throw new ConfigError(name, `must be an http(s) URL, got "${raw}"`);
  return new URL(parsed.data);
}

function hostPort(name: string, raw: string): string {
  const m = /^(.+):(\d{1,5})$/.exec(raw);
  if (!m || Number(m[2]) > 65535 || !m[1]) {
    throw new ConfigError(name, `must be host:port, got "${raw}"`);
  }
  return raw;
}

/** A whole number of milliseconds (or seconds) within [min, max]. */
function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

/** `EDGE_PUBLIC_URL`: only its scheme and port matter, so anything else would mislead. */
function edgePublicUrl(env: Env, baseDomain: string): string | null {
  const raw = read(env, 'EDGE_PUBLIC_URL');
  if (raw === undefined) return null;
  const url = httpUrl('EDGE_PUBLIC_URL', raw);
  if (
    url.hostname !== baseDomain ||
    url.pathname !== '/' ||
    url.search ||
    url.hash ||
    url.username
  ) {
    throw new ConfigError(
      'EDGE_PUBLIC_URL',
      `must be scheme://${baseDomain}[:port] with no path, e.g. https://${baseDomain}; got "${raw}"`,
    );
  }
  return url.origin;
}

/** Caddy's admin endpoint: loopback TCP or a unix socket (Caddy's recommended setup). */
function caddyAdmin(env: Env): string {
  const raw = read(env, 'EDGE_CADDY_ADMIN') ?? 'http://127.0.0.1:2019';
  if (/^unix:\/\S+$/.test(raw)) return raw;
  return httpUrl('EDGE_CADDY_ADMIN', raw).toString().replace(/\/$/, '');
}

function askListen(env: Env): { askHost: string; askPort: number } {
  const raw = read(env, 'EDGE_CADDY_ASK_LISTEN') ?? '127.0.0.1:0';
  const hp = hostPort('EDGE_CADDY_ASK_LISTEN', raw);
  const cut = hp.lastIndexOf(':');
  const askHost = hp.slice(0, cut);
  if (!isIPv4(askHost)) {
    throw new ConfigError('EDGE_CADDY_ASK_LISTEN', `must be an IPv4 address:port, got "${raw}"`);
  }
  return { askHost, askPort: Number(hp.slice(cut + 1)) };
}

const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** An address to listen on: an IP address or a host name (a typo fails here, not at listen). */
function listenHost(env: Env, name: string, fallback: string): string {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!isIP(raw) && !DOMAIN.test(raw.toLowerCase())) {
    throw new ConfigError(name, `must be an IP address or a host name, got "${raw}"`);
  }
  return raw;
}

const STRIPE_VARIABLES = [
  'STRIPE_WEBHOOK_SECRET',
  'STRIPE_PRICE_PRO',
  'STRIPE_PRICE_BUSINESS',
  'STRIPE_API_BASE',
] as const;

/** Stripe's settings all together or none: half a configuration names what is missing. */
function stripeConfig(env: Env): StripeConfig | null {
  const key = read(env, 'STRIPE_SECRET_KEY');
  if (key === undefined) {
    const stray = STRIPE_VARIABLES.find((name) => read(env, name) !== undefined);
    if (stray) throw new ConfigError('STRIPE_SECRET_KEY', `is required when ${stray} is set`);
    return null;
  }
  if (!/^(?:sk|rk)_\S+$/.test(key)) {
    // A publishable key (pk_…) is the usual mistake; it cannot create sessions.
    throw new ConfigError('STRIPE_SECRET_KEY', 'must be a secret or restricted key (sk_… or rk_…)');
  }
  const need = (name: string): string => {
    const v = read(env, name);
    if (v === undefined) throw new ConfigError(name, 'is required when STRIPE_SECRET_KEY is set');
    return v;
  };
  const webhookSecret = need('STRIPE_WEBHOOK_SECRET');
  if (!/^whsec_\S+$/.test(webhookSecret)) {
    throw new ConfigError(
      'STRIPE_WEBHOOK_SECRET',
      "must be the endpoint's signing secret (whsec_…)",
    );
  }
  const price = (name: string): string => {
    const v = need(name);
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(v)) {
      throw new ConfigError(name, `must be a Stripe price id such as price_…, got "${v}"`);
    }
    return v;
  };
  const pricePro = price('STRIPE_PRICE_PRO');
  const priceBusiness = price('STRIPE_PRICE_BUSINESS');
  if (pricePro === priceBusiness) {
    // The plan is read from the price, so one price for both plans would make them one plan.
    throw new ConfigError('STRIPE_PRICE_BUSINESS', 'must differ from STRIPE_PRICE_PRO');
  }
  const apiBaseRaw = read(env, 'STRIPE_API_BASE');
  return {
    secretKey: key,
    webhookSecret,
    pricePro,
    priceBusiness,
    apiBase: apiBaseRaw ? httpUrl('STRIPE_API_BASE', apiBaseRaw) : null,
  };
}

/** The Cloud API's own address on `host:port` as a URL (`RELAY_PUBLIC_URL`'s default). */
export function apiUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Read and validate the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const host = listenHost(env, 'RELAY_HOST', '127.0.0.1');
  const relayPort = port(env, 'RELAY_PORT', 8787);
  const dataDir = path.resolve(cwd, read(env, 'RELAY_DATA_DIR') ?? '.data/relay');

  const publicUrlRaw = read(env, 'RELAY_PUBLIC_URL');
  const publicUrl = publicUrlRaw
    ? httpUrl('RELAY_PUBLIC_URL', publicUrlRaw).toString().replace(/\/$/, '')
    : apiUrl(host, relayPort);

  const baseDomain = (read(env, 'RELAY_BASE_DOMAIN') ?? 'localhost').toLowerCase();
  if (!DOMAIN.test(baseDomain)) {
    throw new ConfigError('RELAY_BASE_DOMAIN', `must be a domain name, got "${baseDomain}"`);
  }

  const secret = read(env, 'RELAY_SECRET') ?? null;
  if (secret !== null && secret.length < 32) {
    throw new ConfigError(
      'RELAY_SECRET',
      'must be at least 32 characters (or unset to generate one)',
    );
  }

  const metricsToken = read(env, 'METRICS_TOKEN') ?? null;
  if (metricsToken !== null && metricsToken.length < 16) {
    throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters (or unset)');
  }

  const smtpUrl = read(env, 'SMTP_URL') ?? null;
  if (smtpUrl !== null && !/^smtps?:\/\//.test(smtpUrl)) {
    throw new ConfigError('SMTP_URL', 'must start with smtp:// or smtps://');
  }

  const stripe = stripeConfig(env);

  const dnsRaw = read(env, 'DNS_SERVERS');
  const dnsServers = dnsRaw
    ? dnsRaw.split(',').map((s) => {
        const v = s.trim();
        if (isIPv4(v)) return v;
        const hp = hostPort('DNS_SERVERS', v);
        if (!isIPv4(hp.slice(0, hp.lastIndexOf(':')))) {
          throw new ConfigError(
            'DNS_SERVERS',
            `must list IPv4 addresses with optional :port, got "${v}"`,
          );
        }
        return hp;
      })
    : null;

  const cidrRaw = read(env, 'TUNNEL_CIDR') ?? '10.100.0.0/16';
  let tunnelCidr: Cidr;
  try {
    tunnelCidr = parseCidr(cidrRaw);
  } catch (e) {
    throw new ConfigError('TUNNEL_CIDR', (e as Error).message);
  }
  if (tunnelCidr.prefix > 30) {
    throw new ConfigError('TUNNEL_CIDR', 'must leave room for clients (prefix /30 or shorter)');
  }

  const wgEndpointRaw = read(env, 'WG_ENDPOINT');
  const wgEndpoint = wgEndpointRaw ? hostPort('WG_ENDPOINT', wgEndpointRaw) : `${baseDomain}:51820`;
  const wgInterface = read(env, 'WG_INTERFACE') ?? 'ccwg0';
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(wgInterface)) {
    throw new ConfigError(
      'WG_INTERFACE',
      'must be an interface name of 1–15 letters, digits, _ . -',
    );
  }

  return {
    host,
    port: relayPort,
    dataDir,
    publicUrl,
    baseDomain,
    secret,
    smtpUrl,
    stripe,
    dnsServers,
    tunnelCidr,
    wgEndpoint,
    wgMode: oneOf(env, 'WG_MODE', ['off', 'wireguard-go', 'kernel'] as const, 'off'),
    wgInterface,
    wgListenPort: port(env, 'WG_LISTEN_PORT', 51820),
    edgeMode: oneOf(env, 'EDGE_MODE', ['off', 'builtin', 'caddy'] as const, 'builtin'),
    edgeHost: listenHost(env, 'EDGE_HOST', '0.0.0.0'),
    edgePort: port(env, 'EDGE_PORT', 8080),
    edgePublicUrl: edgePublicUrl(env, baseDomain),
    edgeTimeouts: {
      connectMs: integer(env, 'EDGE_CONNECT_TIMEOUT_MS', 5000, 100, 600_000),
      responseMs: integer(env, 'EDGE_RESPONSE_TIMEOUT_MS', 60_000, 100, 3_600_000),
      idleMs: integer(env, 'EDGE_IDLE_TIMEOUT_MS', 120_000, 100, 3_600_000),
      keepAliveMs: integer(env, 'EDGE_KEEPALIVE_TIMEOUT_MS', 65_000, 100, 3_600_000),
    },
    caddy: {
      admin: caddyAdmin(env),
      ...askListen(env),
      issuer: oneOf(env, 'EDGE_CADDY_ISSUER', ['acme', 'internal'] as const, 'acme'),
    },
    domainReverifyIntervalSeconds: integer(env, 'DOMAIN_REVERIFY_INTERVAL_S', 3600, 0, 604_800),
    domainPendingTtlHours: integer(env, 'DOMAIN_PENDING_TTL_H', 72, 1, 8760),
    domainReleaseGraceHours: integer(env, 'DOMAIN_RELEASE_GRACE_H', 168, 0, 8760),
    trustProxy: oneOf(env, 'RELAY_TRUST_PROXY', ['true', 'false'] as const, 'false') === 'true',
    metricsToken,
    logLevel: oneOf(
      env,
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      'info',
    ),
  };
}
