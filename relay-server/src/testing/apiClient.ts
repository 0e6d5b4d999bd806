import type { SecretLedger } from './logCapture.js';

/** Response bodies in tests are arbitrary JSON read field by field; `any` keeps tests short. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the text when the body is not JSON. */
  body: T;
  text: string;
}

export interface RequestOptions {
  token?: string;
  /** A JSON value, or a string sent as-is (malformed JSON tests). */
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * A small HTTP client for tests: real requests over the network to a running relay, with
 * every password sent and token received recorded in the secret ledger.
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly ledger: SecretLedger,
  ) {}

  async request<T = Json>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    let payload: string | undefined;
    if (options.body !== undefined) {
      payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
      if (typeof options.body !== 'string') this.ledger.collect(options.body);
    }
    if (options.token) {
      headers.authorization = `Bearer ${options.token}`;
      this.ledger.add(options.token);
    }
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body: payload });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    // Error bodies hold messages about fields (`details.fields.password`), not secrets.
    if (res.ok) this.ledger.collect(body);
    return { status: res.status, headers: res.headers, body: body as T, text };
  }

  get<T = Json>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }
  post<T = Json>(path: string, body?: unknown, options: RequestOptions = {}) {
    return this.request<T>('POST', path, { ...options, body });
  }
  patch<T = Json>(path: string, body?: unknown, options: RequestOptions = {}) {
    return this.request<T>('PATCH', path, { ...options, body });
  }
  delete<T = Json>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, options);
  }
}
