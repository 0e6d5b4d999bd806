import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';

/**
 * Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus the
 * `Proxy-*` family and `Keep-Alive`: a proxy never forwards them. `Upgrade` goes along
 * only on an upgrade request, which sets it again itself.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The names `Connection` lists, lowercased: they are hop-by-hop for this message too. */
function connectionTokens(value: string | string[] | undefined): Set<string> {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    joined
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** Whether a (lowercase) header name is hop-by-hop whatever `Connection` lists. */
export function isHopByHop(name: string): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith('proxy-');
}

/** A copy of `headers` without hop-by-hop headers. */
export function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = connectionTokens(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (isHopByHop(name) || named.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** The client's address without the IPv4-mapped prefix. */
export function clientAddress(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

export interface ForwardingContext {
  /** `http` for the built-in edge (TLS, if any, ends before it). */
  proto: 'http' | 'https';
  /**
   * Whether a proxy in front of the edge sets X-Forwarded-* (`RELAY_TRUST_PROXY`): then the
   * edge appends to them; otherwise a client's own values are replaced, never trusted.
   */
  trustProxy: boolean;
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * The headers to send upstream: the client's end-to-end headers with `Host` kept (apps build
 * links from it), `X-Forwarded-For/-Proto/-Host` set, and `Expect` dropped (the edge answers
 * 100-continue to the client itself). For an upgrade, `Connection: upgrade` and `Upgrade` are
 * set again.
 */
export function upstreamRequestHeaders(
  req: IncomingMessage,
  ctx: ForwardingContext,
): OutgoingHttpHeaders {
  const headers = withoutHopByHop(req.headers);
  delete headers.expect;
  const client = clientAddress(req);
  const inFor = ctx.trustProxy ? single(req.headers['x-forwarded-for']) : undefined;
  const inProto = ctx.trustProxy ? single(req.headers['x-forwarded-proto']) : undefined;
  const inHost = ctx.trustProxy ? single(req.headers['x-forwarded-host']) : undefined;
  headers['x-forwarded-for'] = inFor ? `${inFor}, ${client}` : client;
  headers['x-forwarded-proto'] = inProto ?? ctx.proto;
  const host = inHost ?? req.headers.host;
  if (host) headers['x-forwarded-host'] = host;
  else delete headers['x-forwarded-host'];
  const upgrade = req.headers.upgrade;
  if (upgrade && connectionTokens(req.headers.connection).has('upgrade')) {
    headers.connection = 'upgrade';
    headers.upgrade = upgrade;
  }
  // A chunked body is re-framed as chunked; a Content-Length body keeps its length.
  if (req.headers['transfer-encoding'] && req.headers['content-length'] === undefined) {
    headers['transfer-encoding'] = 'chunked';
  }
  return headers;
}

/** Whether the request carries a body the edge has to stream upstream. */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
