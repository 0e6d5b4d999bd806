import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';

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

/**
 * What `Connection` can never take away: the message's framing and its Host. The edge sets
 * these itself from what it actually forwards, so a client that lists them in `Connection`
 * cannot send a body upstream unframed (a second, smuggled request on a pooled connection)
 * or make the app see the tunnel address as its Host.
 */
const PROTECTED = new Set(['host', 'content-length', 'transfer-encoding']);

/**
 * Headers a reverse proxy sets to tell the app about the client and the public URL, or that
 * frameworks read to override the request path (`X-Original-URL`, `X-Rewrite-URL`). From a
 * client they are lies: the edge always drops them and sets the ones it knows. Even behind a
 * trusted proxy (`RELAY_TRUST_PROXY`) only `X-Forwarded-For/-Proto/-Host` are read from the
 * request (see upstreamRequestHeaders): the others are not set by a typical front proxy (Caddy's
 * reverse_proxy sets exactly those three; nginx what its config names), which passes a client's
 * own values through untouched.
 */
const FORWARDING = new Set([
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-ssl',
  'x-forwarded-prefix',
  'x-forwarded-server',
  'x-forwarded-scheme',
  'x-forwarded-protocol',
  'x-forwarded',
  'forwarded-for',
  'x-original-forwarded-for',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'x-cluster-client-ip',
  'x-url-scheme',
  'front-end-https',
  'x-original-url',
  'x-rewrite-url',
  'x-original-host',
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

/**
 * Whether a (lowercase) name with `_` stands for a header the edge owns: CGI-style servers
 * (WSGI, PHP, Rack) map `X_Forwarded_For` and `X-Forwarded-For` to the same variable, so a
 * client could slip a forged value past a proxy that only knows the dashed spelling. nginx
 * drops underscore names altogether; the edge drops only these.
 */
function aliasesOwnedHeader(name: string): boolean {
  if (!name.includes('_')) return false;
  const dashed = name.replaceAll('_', '-');
  return PROTECTED.has(dashed) || FORWARDING.has(dashed) || isHopByHop(dashed);
}

/**
 * A copy of `headers` without hop-by-hop headers, the ones `Connection` names included, except
 * Host and the framing headers, which `Connection` never removes.
 */
export function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = connectionTokens(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (isHopByHop(name) || (named.has(name) && !PROTECTED.has(name))) continue;
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
   * Whether a proxy in front of the edge sets X-Forwarded-For/-Proto/-Host
   * (`RELAY_TRUST_PROXY`): then the edge keeps and appends to those three; otherwise a client's
   * own values are replaced, never trusted.
   */
  trustProxy: boolean;
  /**
   * The front proxy is the relay's own Caddy on loopback (`EDGE_MODE=caddy`'s stream
   * listener): it and this hop are one edge, so the peer (that Caddy) is not added to
   * X-Forwarded-For or Forwarded, and the app sees what the built-in edge would send it, with
   * the client as Caddy saw it. Only with `trustProxy`.
   */
  ownFront?: boolean;
}

/** How the edge frames the request body it sends upstream: always its own decision. */
export type Framing =
  | { kind: 'none' }
  /** The decimal length llhttp validated, kept as digits: a Number would round above 2^53. */
  | { kind: 'length'; length: string }
  | { kind: 'chunked' };

/** A request the edge refuses before routing it (400, the app sees nothing). */
export interface BadRequest {
  ok: false;
  reason: string;
}

/** Where a request goes: the public Host it is for and the origin-form target to send. */
export interface RequestTarget {
  ok: true;
  /** The public Host (`name[:port]`): the absolute-form authority, else the Host header. */
  host: string | undefined;
  /** Origin-form (`/path?query`), or `*` for `OPTIONS *`. */
  path: string;
  framing: Framing;
}

/** How often a (lowercase) header name appears in the raw request. */
function count(req: IncomingMessage, name: string): number {
  let n = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if ((req.rawHeaders[i] as string).toLowerCase() === name) n++;
  }
  return n;
}

/**
 * The request's body framing as Node's parser (llhttp, strict) read it. llhttp already
 * refuses CL with TE, repeated or malformed Content-Length, a TE whose last coding is not
 * chunked, obs-fold and bare CR/LF; what it lets through and the edge cannot forward faithfully
 * is refused here: a transfer coding other than plain `chunked` (`gzip, chunked`), whose
 * decoded body would reach the app with its coding silently lost.
 */
function requestFraming(req: IncomingMessage): Framing | BadRequest {
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) {
    if (te.trim().toLowerCase() !== 'chunked') {
      return { ok: false, reason: 'only the chunked transfer coding is supported' };
    }
    return { kind: 'chunked' };
  }
  const length = (req.headers['content-length'] ?? '').trim().replace(/^0+/, '');
  return /^\d+$/.test(length) ? { kind: 'length', length } : { kind: 'none' };
}

const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)(.*)$/is;

/**
 * Check a request before routing: exactly one Host (RFC 9112 §3.2: none is fine only before
 * HTTP/1.1), a framing the edge can forward,
 * and the target in a form the edge understands. An absolute-form target
 * (`GET http://a.example/x?y`) is routed by its authority, which replaces Host (RFC 9112
 * §3.2.2), and forwarded in origin-form, so the app never receives a foreign URI. For an
 * upgrade the edge forwards no body (what follows the head belongs to the upgraded protocol).
 */
export function requestTarget(
  req: IncomingMessage,
  { upgrade = false }: { upgrade?: boolean } = {},
): RequestTarget | BadRequest {
  const hosts = count(req, 'host');
  if (hosts > 1) return { ok: false, reason: 'more than one Host header' };
  if (hosts === 0 && req.httpVersion !== '1.0' && req.httpVersion !== '0.9') {
    return { ok: false, reason: 'no Host header' };
  }
  const framing = upgrade ? ({ kind: 'none' } as const) : requestFraming(req);
  if ('ok' in framing) return framing;
  const url = req.url ?? '';
  if (url.startsWith('/')) return { ok: true, host: req.headers.host, path: url, framing };
  if (url === '*' && req.method === 'OPTIONS') {
    return { ok: true, host: req.headers.host, path: url, framing };
  }
  const absolute = ABSOLUTE_FORM.exec(url);
  const authority = absolute?.[1] ?? '';
  // RFC 9110 §4.2.4: userinfo in an http(s) URI is an error; an empty authority names nothing.
  if (!absolute || authority === '' || authority.includes('@')) {
    return { ok: false, reason: 'the request target is not a path or an http URL' };
  }
  const rest = absolute[2] ?? '';
  return { ok: true, host: authority, path: rest.startsWith('/') ? rest : `/${rest}`, framing };
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

/** A `for=` node of RFC 7239: IPv6 in quoted brackets. */
function forwardedNode(address: string): string {
  return address.includes(':') ? `"[${address}]"` : address;
}

/** An RFC 9110 quoted-string: `"` and `\\` escaped, so a value cannot end it early. */
function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** The port of a public `host[:port]`, else the scheme's default. */
function publicPort(host: string | undefined, proto: string): string {
  const port = host && /:(\d{1,5})$/.exec(host)?.[1];
  return port || (proto === 'https' ? '443' : '80');
}

/**
 * The headers to send upstream: the client's end-to-end headers with the public `Host`
 * (apps build links from it; `Connection` cannot remove it), the forwarding headers set by
 * the edge (`X-Forwarded-For/-Proto/-Host/-Port`, `X-Real-IP`, `Forwarded`) and any other
 * forwarding header the request carries dropped (with `trustProxy`, the front proxy's
 * `X-Forwarded-For` is appended to and its `-Proto`/`-Host` kept; the rest is derived from
 * those three), `Expect` dropped (the edge answers 100-continue
 * itself), and the framing headers set from `framing` alone: `Content-Length` for a body of
 * known length, `Transfer-Encoding: chunked` for a chunked one, none for no body. For an
 * upgrade, `Connection: upgrade` and `Upgrade` are set again.
 */
export function upstreamRequestHeaders(
  req: IncomingMessage,
  ctx: ForwardingContext,
  target: Pick<RequestTarget, 'host' | 'framing'>,
): OutgoingHttpHeaders {
  const headers = withoutHopByHop(req.headers);
  for (const name of Object.keys(headers)) {
    if (aliasesOwnedHeader(name) || FORWARDING.has(name)) delete headers[name];
  }
  delete headers.expect;
  delete headers['content-length'];
  delete headers['transfer-encoding'];
  if (target.host) headers.host = target.host;
  else delete headers.host;

  const peer = clientAddress(req);
  const trusted = (name: string) => (ctx.trustProxy ? single(req.headers[name]) : undefined);
  const inFor = trusted('x-forwarded-for');
  const inProto = trusted('x-forwarded-proto')?.trim().toLowerCase();
  const proto = inProto === 'http' || inProto === 'https' ? inProto : ctx.proto;
  const host = trusted('x-forwarded-host') ?? target.host;
  // The client as the trusted proxy saw it: the address it appended last. Only an address is
  // taken, so nothing else from the list reaches X-Real-IP or Forwarded's syntax.
  const seen = inFor?.split(',').at(-1)?.trim();
  const proxied = seen && isIP(seen) ? seen : undefined;
  // Behind the relay's own Caddy that Caddy is the edge: its hop is not a second proxy.
  const ownHop = ctx.ownFront === true && proxied !== undefined;
  headers['x-forwarded-for'] = inFor ? (ownHop ? inFor : `${inFor}, ${peer}`) : peer;
  headers['x-forwarded-proto'] = proto;
  if (host) headers['x-forwarded-host'] = host;
  else delete headers['x-forwarded-host'];
  headers['x-forwarded-port'] = publicPort(host, proto);
  headers['x-real-ip'] = proxied ?? peer;
  // RFC 7239: one element per proxy. The first describes the client and the public request
  // (as the front proxy received it, when there is one), the edge's own names the proxy.
  const first = `for=${forwardedNode(proxied ?? peer)};proto=${proto}${host ? `;host=${quoted(host)}` : ''}`;
  headers.forwarded = proxied && !ownHop ? `${first}, for=${forwardedNode(peer)}` : first;

  const upgrade = req.headers.upgrade;
  if (upgrade && connectionTokens(req.headers.connection).has('upgrade')) {
    headers.connection = 'upgrade';
    headers.upgrade = upgrade;
  }
  if (target.framing.kind === 'length') {
    headers['content-length'] = target.framing.length;
  } else if (target.framing.kind === 'chunked') {
    headers['transfer-encoding'] = 'chunked';
  }
  return headers;
}
