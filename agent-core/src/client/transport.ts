import {
  endpoints,
  ErrorBody,
  type EndpointName,
  type RequestInputOf,
  type ResponseOf,
} from '../api/index.js';
import { ApiError } from './apiError.js';

export type FetchLike = typeof fetch;

export interface TransportOptions {
  /** The relay's base URL, e.g. `https://api.example.com` (the `/v1` prefix is added). */
  baseUrl: string;
  fetch?: FetchLike;
  /** Per-request timeout. */
  timeoutMs?: number;
}

/** The parts of a call a caller gives; parts the endpoint does not take are omitted. */
export type CallInput<N extends EndpointName> = {
  [
    K in keyof RequestInputOf<N> as RequestInputOf<N>[K] extends undefined ? never : K
  ]: RequestInputOf<N>[K];
};

function buildPath(template: string, params: Record<string, unknown> | undefined): string {
  return template.replace(/:([a-z_]+)/g, (_m, name: string) => {
    const v = params?.[name];
    if (v === undefined)
      throw new ApiError('VALIDATION_ERROR', `${name} is required`, 0, {
        fields: { [name]: 'is required' },
      });
    return encodeURIComponent(String(v));
  });
}

/**
 * One HTTP call of the contract: builds the URL from the endpoint table, sends JSON, and
 * parses the answer with the endpoint's own response schema (or its error body).
 */
export async function callEndpoint<N extends EndpointName>(
  opts: TransportOptions,
  name: N,
  input: CallInput<N>,
  bearer: string | null,
): Promise<ResponseOf<N>> {
  const endpoint = endpoints[name];
  const parts = input as {
    params?: Record<string, unknown>;
    query?: Record<string, unknown>;
    body?: unknown;
  };
  let url = `${opts.baseUrl.replace(/\/+$/, '')}/v1${buildPath(endpoint.path, parts.params)}`;
  if (parts.query) {
    const qs = new URLSearchParams(
      Object.entries(parts.query).map(([k, v]): [string, string] => [k, String(v)]),
    );
    url += `?${qs}`;
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  let body: string | undefined;
  if (parts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(parts.body);
  }
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(url, {
      method: endpoint.method,
      headers,
      body,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
    });
  } catch (e) {
    const err = e as Error;
    if (err.name === 'TimeoutError') {
      throw new ApiError('TIMEOUT', `The relay at ${opts.baseUrl} did not answer in time`, 0);
    }
    const cause = (err.cause as NodeJS.ErrnoException | undefined)?.code ?? err.message;
    throw new ApiError('NETWORK_ERROR', `Cannot reach the relay at ${opts.baseUrl} (${cause})`, 0);
  }
  const text = await res.text();
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApiError(
        'INVALID_RESPONSE',
        `The relay answered ${res.status} with a body that is not JSON`,
        res.status,
      );
    }
  }
  if (!res.ok) {
    const parsed = ErrorBody.safeParse(json);
    if (parsed.success) {
      const { code, message, details } = parsed.data.error;
      throw new ApiError(code, message, res.status, details);
    }
    throw new ApiError(
      'INVALID_RESPONSE',
      `The relay answered ${res.status} without an error body`,
      res.status,
    );
  }
  if (endpoint.status === 204 || !('response' in endpoint) || !endpoint.response) {
    return undefined as ResponseOf<N>;
  }
  const parsed = endpoint.response.safeParse(json);
  if (!parsed.success) {
    throw new ApiError(
      'INVALID_RESPONSE',
      `The relay's answer to ${name} does not match the API contract`,
      res.status,
      {
        issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`),
      },
    );
  }
  return parsed.data as unknown as ResponseOf<N>;
}
