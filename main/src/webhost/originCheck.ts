/**
 * The web host only answers pages and sockets addressed to itself: the Host header must be
 * one of the host's own names (stops DNS rebinding), and a WebSocket's Origin must be the same
 * origin (stops other sites' pages from driving the API through the user's browser).
 */
export function allowedHosts(bindHost: string, port: number, extra: string[] = []): Set<string> {
  const names = new Set([bindHost, ...extra]);
  if (bindHost === '127.0.0.1' || bindHost === 'localhost' || bindHost === '::1') {
    names.add('127.0.0.1');
    names.add('localhost');
    names.add('[::1]');
  }
  const out = new Set<string>();
  for (const n of names) {
    const h = n.includes(':') && !n.startsWith('[') ? `[${n}]` : n;
    out.add(`${h}:${port}`.toLowerCase());
  }
  return out;
}

export function hostAllowed(hostHeader: string | undefined, allowed: Set<string>): boolean {
  return hostHeader !== undefined && allowed.has(hostHeader.toLowerCase());
}

export function originAllowed(origin: string | undefined, allowed: Set<string>): boolean {
  if (!origin) return false;
  try {
    const url = new URL(origin);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') && allowed.has(url.host.toLowerCase())
    );
  } catch {
    return false;
  }
}
