import net from 'node:net';

export interface RawResponse {
  status: number;
  /** Header names lower-cased; a repeated header's values joined with ", ". */
  headers: Record<string, string>;
  /** The body, de-chunked. */
  text: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  json: unknown;
  /** Every byte the server sent, as text. */
  raw: string;
}

function dechunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    if (eol < 0) return out;
    const size = Number.parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

/**
 * Send `request` byte for byte to `baseUrl`'s host and port and read the answer until the
 * server closes the connection (or `timeoutMs` passes). For what fetch will not send: TRACE,
 * CONNECT, WebDAV verbs, method tokens the HTTP parser refuses, a body without Content-Type.
 * Ask for `Connection: close` in `request` so the server ends the exchange.
 */
export function rawRequest(
  baseUrl: string,
  request: string,
  { timeoutMs = 5000 } = {},
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      const split = raw.indexOf('\r\n\r\n');
      if (!raw.startsWith('HTTP/') || split < 0) {
        reject(new Error(`no HTTP response, got ${JSON.stringify(raw.slice(0, 200))}`));
        return;
      }
      const [statusLine = '', ...lines] = raw.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
      const rawBody = raw.slice(split + 4);
      const bytes = Buffer.from(
        headers['transfer-encoding']?.includes('chunked') ? dechunk(rawBody) : rawBody,
        'latin1',
      );
      const length = headers['content-length'];
      const text = (length === undefined ? bytes : bytes.subarray(0, Number(length))).toString(
        'utf8',
      );
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, text, json, raw });
    });
  });
}
