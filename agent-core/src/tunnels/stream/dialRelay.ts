import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';
import { ErrorBody } from '../../api/errors.js';
import { STREAM_PATH, STREAM_PROTOCOL } from '../../api/streamTransport.js';
import { TunnelError } from '../tunnelError.js';

/** The relay's API URL checked once: http(s) only, so the upgrade goes where the user said. */
export function streamUrl(relayUrl: string): URL {
  const base = URL.parse(relayUrl);
  if (!base) {
    throw new TunnelError(
      'CONFIG_INVALID',
      `The relay URL "${relayUrl}" is not a URL such as https://relay.example.com`,
    );
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new TunnelError(
      'CONFIG_INVALID',
      `The relay URL must be http:// or https://, got ${base.protocol}`,
    );
  }
  return new URL(`${base.pathname.replace(/\/+$/, '')}${STREAM_PATH}`, base);
}

/**
 * The HTTP CONNECT proxy for the relay, checked once: `proxy` when given (null: none), else the
 * one the environment names for the relay's URL (`HTTPS_PROXY` / `https_proxy` for https,
 * `HTTP_PROXY` / `http_proxy` for http, `ALL_PROXY`, all subject to `NO_PROXY`).
 */
export function relayProxy(url: URL, proxy?: string | null): URL | null {
  const chosen = proxy === undefined ? getProxyForUrl(url.href) : proxy;
  if (!chosen) return null;
  // A bare host:port, as some environments write it, means an http:// proxy.
  const parsed = URL.parse(/^[a-z][a-z0-9+.-]*:\/\//i.test(chosen) ? chosen : `http://${chosen}`);
  if (!parsed) {
    throw new TunnelError('CONFIG_INVALID', 'The proxy setting (HTTPS_PROXY) is not a URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TunnelError(
      'CONFIG_INVALID',
      `The proxy must be an http:// or https:// CONNECT proxy, got ${parsed.protocol}`,
    );
  }
  return parsed;
}

/** The API's JSON error (ErrorBody, as the API client reads it), or null for any other body. */
function apiErrorOf(body: string): { code: string; message: string } | null {
  try {
    const parsed = ErrorBody.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data.error : null;
  } catch {
    // Not JSON: a proxy's page or an old relay; the status alone decides below.
    return null;
  }
}

/**
 * A Retry-After in seconds (what the relay's rate limit sends) as ms, capped at an hour; null
 * when absent or an HTTP date (the redial backoff then decides alone).
 */
function retryAfterMs(header: string | undefined): number | null {
  if (!header || !/^\s*\d+\s*$/.test(header)) return null;
  return Math.min(Number(header), 3600) * 1000;
}

/**
 * What a refused upgrade means for the agent: a revoked token is final, the rest is retried
 * (not before the Retry-After the relay gave, as `retry_after_ms`).
 */
function refusalError(
  status: number,
  body: string,
  relay: string,
  retryAfter?: string,
): TunnelError {
  const api = apiErrorOf(body);
  const said = api ? `: ${api.code}: ${api.message}` : '';
  if (status === 404) {
    // The relay answers a refused token with 401; a 404 is a relay (or a proxy path in front
    // of it) without the stream endpoint. Retrying cannot help either.
    return new TunnelError(
      'CONFIG_INVALID',
      `${relay} does not offer the stream transport (${status}${said}): update the relay, check the relay URL, or use WireGuard`,
      { status, api_code: api?.code ?? null },
    );
  }
  if (status === 401 || status === 403) {
    return new TunnelError(
      'TOKEN_REVOKED',
      `The relay no longer accepts this instance token (${status}${said}): it was regenerated or the instance was deleted. Enter the new instance token to reconnect.`,
      { status, api_code: api?.code ?? null },
    );
  }
  const wait = retryAfterMs(retryAfter);
  return new TunnelError(
    'RELAY_ERROR',
    `${relay} refused the stream session with ${status}${said}`,
    { status, api_code: api?.code ?? null, ...(wait === null ? {} : { retry_after_ms: wait }) },
  );
}

/** Bodies of refusals are small JSON; more than this is not read. */
const MAX_REFUSAL_BODY = 16 * 1024;

/** How one session is dialled. */
export interface DialOptions {
  token: string;
  /** Cancels a dial that is under way (the driver stopped). */
  signal: AbortSignal;
  /** HTTP CONNECT proxy in the way, if any. */
  proxy: URL | null;
  /** CA certificate(s) to trust for an https relay, besides the system's. */
  ca?: string | Buffer;
  timeoutMs?: number;
}

/**
 * Open one stream session's socket: `GET STREAM_PATH` with `Upgrade: STREAM_PROTOCOL` and the
 * instance token. Resolves with the upgraded socket (any bytes the relay sent after its 101
 * put back in front), rejects with a TunnelError.
 */
export function dialRelay(
  url: URL,
  { token, signal, proxy, ca, timeoutMs = 10_000 }: DialOptions,
): Promise<Socket> {
  const relay = `The relay at ${url.origin}`;
  // Named by its origin only: the proxy URL may carry credentials.
  const via = proxy ? ` through the proxy at ${proxy.origin}` : '';
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'GET',
      headers: {
        connection: 'Upgrade',
        upgrade: STREAM_PROTOCOL,
        authorization: `Bearer ${token}`,
      },
      // CONNECT through the proxy for http and https alike: a forwarding proxy would not pass
      // the upgraded connection on.
      agent: proxy ? new HttpsProxyAgent(proxy) : false,
      signal,
      timeout: timeoutMs,
      ...(ca ? { ca } : {}),
      // Through a proxy, https-proxy-agent starts TLS without `host`, so a relay addressed by
      // IP would have its certificate checked against "localhost" (TooTallNate/proxy-agents#365):
      // check it against the relay's own host, as a direct connection does.
      ...(proxy && url.protocol === 'https:'
        ? {
            checkServerIdentity: (_host: string, cert: PeerCertificate) =>
              checkServerIdentity(url.hostname.replace(/^\[|\]$/g, ''), cert),
          }
        : {}),
    });
    request.on('timeout', () =>
      request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
    );
    let proxyRefused: number | null = null;
    request.on('proxyConnect', (answer: { statusCode: number }) => {
      if (answer.statusCode !== 200) proxyRefused = answer.statusCode;
    });
    request.on('upgrade', (response, socket: Socket, head: Buffer) => {
      if (response.headers.upgrade?.toLowerCase() !== STREAM_PROTOCOL) {
        socket.destroy();
        reject(new TunnelError('RELAY_ERROR', `${relay} upgraded to another protocol`));
        return;
      }
      socket.setTimeout(0);
      socket.setNoDelay(true);
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    request.on('response', (response) => {
      if (proxyRefused !== null) {
        // The proxy's answer, not the relay's: a 403 here says nothing about the token.
        response.resume();
        reject(
          new TunnelError(
            'UNREACHABLE',
            `The proxy at ${proxy?.origin} refused to connect to ${url.host} (${proxyRefused})${proxyRefused === 407 ? ': check the user and password in HTTPS_PROXY' : ''}`,
            { proxy_status: proxyRefused },
          ),
        );
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_REFUSAL_BODY) chunks.push(chunk);
      });
      response.on('end', () =>
        reject(
          refusalError(
            response.statusCode ?? 0,
            Buffer.concat(chunks).toString('utf8'),
            relay,
            response.headers['retry-after'],
          ),
        ),
      );
      response.on('error', (e) => reject(new TunnelError('UNREACHABLE', `${relay}: ${e.message}`)));
    });
    request.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? e.message;
      reject(
        /CERT|SSL|TLS/.test(code)
          ? new TunnelError(
              'UNREACHABLE',
              `${relay}${via} presented a certificate this machine does not trust (${code}): if the relay uses a private CA, give its certificate (NODE_EXTRA_CA_CERTS)`,
              { errno: code },
            )
          : new TunnelError(
              'UNREACHABLE',
              `Cannot reach the relay at ${url.origin}${via} (${code})`,
              {
                errno: code,
              },
            ),
      );
    });
    request.end();
  });
}
