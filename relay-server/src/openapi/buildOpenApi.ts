import {
  endpoints,
  ErrorBody,
  ERROR_STATUS,
  type AuthKind,
  type Endpoint,
  type ErrorCode,
} from '@cloud-connect/agent-core/api';
import { z } from 'zod';
import { relayPageOperations } from './relayPages.js';

type Json = Record<string, unknown>;

const ALWAYS: ErrorCode[] = ['VALIDATION_ERROR', 'RATE_LIMITED', 'INTERNAL'];
/** Any call that may carry a body is refused with 415 when the body is not JSON (mediaType.ts). */
const WITH_BODY: ErrorCode[] = ['UNSUPPORTED_MEDIA_TYPE'];

/** Endpoints that answer 503 with their own body (which part is down), not the error body. */
const DEGRADED_WITH_BODY: ReadonlySet<string> = new Set(['health']);

/**
 * JSON Schema of a zod schema. zod puts schemas named with `meta({ id })` under `$defs`, and in
 * an OpenAPI document `#/$defs/…` would resolve from the document's root, so they move to
 * `components.schemas` (collected in `components`) and their references with them.
 */
function schema(s: z.ZodType, io: 'input' | 'output', components: Record<string, Json>): Json {
  const js = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Json;
  const { $schema: _drop, $defs, ...rest } = js;
  const relocate = (v: unknown): Json =>
    JSON.parse(JSON.stringify(v).replaceAll('"#/$defs/', '"#/components/schemas/')) as Json;
  for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, Json>)) {
    components[id] = relocate(def);
  }
  return relocate(rest);
}

/**
 * Who may call an operation, written on every operation: `[]` says "public" outright, so a
 * reader (and `redocly lint`'s security-defined rule) never has to guess from an absence.
 */
const SECURITY: Record<AuthKind, Json[]> = {
  none: [],
  user: [{ userToken: [] }],
  instance: [{ instanceToken: [] }],
  stripe: [{ stripeSignature: [] }],
};

/** `/instances/:instance_id` → `/instances/{instance_id}` */
const openApiPath = (p: string) => p.replace(/:([a-z_]+)/g, '{$1}');

function parameters(e: Endpoint, components: Record<string, Json>): Json[] {
  const out: Json[] = [];
  for (const [where, s] of [
    ['path', e.params],
    ['query', e.query],
  ] as const) {
    if (!s) continue;
    const js = schema(s, 'input', components) as {
      properties?: Record<string, Json>;
      required?: string[];
    };
    for (const [name, prop] of Object.entries(js.properties ?? {})) {
      out.push({
        name,
        in: where,
        required: where === 'path' || (js.required ?? []).includes(name),
        schema: prop,
      });
    }
  }
  return out;
}

/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests, so
 * the document cannot drift from what the server accepts.
 */
export function buildOpenApi(version: string, serverUrl: string): Json {
  // Paths carry their full path from the relay's root (`/v1/...`, `/metrics`, `/verify-email`),
  // so the server URL is the root: a client joins the two without doubling `/v1`.
  const paths: Record<string, Record<string, Json>> = {};
  const components: Record<string, Json> = {};
  const errorRef = schema(ErrorBody, 'output', components);
  for (const [name, e] of Object.entries(endpoints) as [string, Endpoint][]) {
    const responses: Record<string, Json> = {};
    if (e.status === 204) responses['204'] = { description: 'No Content' };
    else if (e.html)
      responses[String(e.status)] = { description: 'HTML page', content: { 'text/html': {} } };
    else if (e.response) {
      responses[String(e.status)] = {
        description: 'Success',
        content: { 'application/json': { schema: schema(e.response, 'output', components) } },
      };
    }
    const codes = [
      ...new Set<ErrorCode>([...e.errors, ...ALWAYS, ...(e.method === 'GET' ? [] : WITH_BODY)]),
    ];
    const byStatus = new Map<number, ErrorCode[]>();
    for (const c of codes)
      byStatus.set(ERROR_STATUS[c], [...(byStatus.get(ERROR_STATUS[c]) ?? []), c]);
    for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
      const degraded = status === 503 && DEGRADED_WITH_BODY.has(name) ? e.response : undefined;
      responses[String(status)] = {
        description: degraded
          ? `Degraded: the body names the part that is down (${list.join(', ')})`
          : list.join(', '),
        content: {
          'application/json': {
            schema: degraded
              ? { anyOf: [schema(degraded, 'output', components), errorRef] }
              : errorRef,
          },
        },
      };
    }
    const op: Json = {
      operationId: name,
      summary: e.summary,
      parameters: parameters(e, components),
      responses,
      security: SECURITY[e.auth],
    };
    if (e.body) {
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: schema(e.body, 'input', components) } },
      };
    } else if (e.auth === 'stripe') {
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: { type: 'object' } } },
      };
    }
    const p = openApiPath(`/v1${e.path}`);
    paths[p] = { ...paths[p], [e.method.toLowerCase()]: op };
  }
  const schemaOf = (s: z.ZodType, io: 'input' | 'output') => schema(s, io, components);
  for (const [p, ops] of Object.entries(relayPageOperations(schemaOf, errorRef))) {
    paths[p] = { ...paths[p], ...ops };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Cloud Connect API',
      version,
      description:
        'The Cloud API of a Cloud Connect relay (`/v1`), plus the pages its emails link to and its Prometheus metrics.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: serverUrl, description: 'This relay' }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        userToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Access token from /auth/login',
        },
        instanceToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Instance token from instance creation',
        },
        metricsToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'METRICS_TOKEN, where the relay sets one',
        },
        stripeSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'Stripe-Signature',
          description:
            "Stripe's signature of the raw body with the webhook endpoint's signing secret (STRIPE_WEBHOOK_SECRET)",
        },
      },
    },
  };
}
