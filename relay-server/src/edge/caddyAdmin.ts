import http from 'node:http';

export interface CaddyAdminResponse {
  status: number;
  text: string;
  /** Caddy sends the config hash as an `Etag` trailer (or header) on GET /config/…. */
  etag: string | null;
}

/** Caddy's admin API reached its answer but refused, or could not be reached at all. */
export class CaddyAdminError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'CaddyAdminError';
  }
}

/**
 * A small client for Caddy's admin API at `http://host:port` or `unix:/path/to/admin.sock`.
 * Over a unix socket the Host header is sent empty: Caddy only accepts the hosts its admin
 * listener allows, and for a socket that is the empty host.
 */
export class CaddyAdmin {
  private readonly target: { socketPath: string } | { host: string; port: number };
  private readonly hostHeader: string;

  constructor(
    readonly address: string,
    private readonly timeoutMs = 5000,
  ) {
    if (address.startsWith('unix:')) {
      this.target = { socketPath: address.slice('unix:'.length) };
      this.hostHeader = '';
    } else {
      const u = new URL(address);
      this.target = { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80) };
      this.hostHeader = u.host;
    }
  }

  request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<CaddyAdminResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          ...this.target,
          method,
          path,
          setHost: false,
          agent: false,
          timeout: this.timeoutMs,
          headers: {
            host: this.hostHeader,
            ...(payload !== undefined
              ? {
                  'content-type': 'application/json',
                  'content-length': String(Buffer.byteLength(payload)),
                }
              : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const etag = res.trailers.etag ?? res.headers.etag ?? null;
            resolve({
              status: res.statusCode ?? 0,
              text: Buffer.concat(chunks).toString('utf8'),
              etag: typeof etag === 'string' ? etag : null,
            });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new CaddyAdminError(`Caddy admin API at ${this.address} timed out`, null)),
      );
      req.on('error', (e: NodeJS.ErrnoException) =>
        reject(
          e instanceof CaddyAdminError
            ? e
            : new CaddyAdminError(
                `Caddy admin API at ${this.address} unreachable (${e.code ?? e.message})`,
                null,
              ),
        ),
      );
      req.end(payload);
    });
  }

  /** The whole running config and its hash (`null` config when Caddy has none). */
  async getConfig(): Promise<{ config: unknown; etag: string | null }> {
    const res = await this.request('GET', '/config/');
    if (res.status !== 200) throw this.refused('GET /config/', res);
    return { config: res.text.trim() ? (JSON.parse(res.text) as unknown) : null, etag: res.etag };
  }

  /**
   * Replace the whole config if it still has hash `etag` (Caddy answers 412 otherwise, and
   * this returns false so the caller reads and merges again). Caddy applies it without a restart.
   */
  async replaceConfig(config: unknown, etag: string | null): Promise<boolean> {
    const res = await this.request('POST', '/config/', config, etag ? { 'if-match': etag } : {});
    if (res.status === 412) return false;
    if (res.status !== 200) throw this.refused('POST /config/', res);
    return true;
  }

  /** Whether an object with this `@id` is in the running config. */
  async hasId(id: string): Promise<boolean> {
    const res = await this.request('GET', `/id/${encodeURIComponent(id)}`);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw this.refused(`GET /id/${id}`, res);
  }

  private refused(what: string, res: CaddyAdminResponse) {
    let detail = res.text.trim();
    try {
      detail = (JSON.parse(detail) as { error?: string }).error ?? detail;
    } catch {
      /* not JSON: keep the text */
    }
    return new CaddyAdminError(`Caddy ${what}: ${res.status} ${detail.slice(0, 300)}`, res.status);
  }
}
