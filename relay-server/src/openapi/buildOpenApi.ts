import {
  endpoints,
  ErrorBody,
  ERROR_STATUS,
  type Endpoint,
  type ErrorCode,
} from '@cloud-connect/agent-core/api';
import { z } from 'zod';

type Json = Record<string, unknown>;

const ALWAYS: ErrorCode[] = ['VALIDATION_ERROR', 'RATE_LIMITED', 'INTERNAL'];

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
    const codes = [...new Set<ErrorCode>([...e.errors, ...ALWAYS])];
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
      ...(e.auth === 'user' || e.auth === 'instance'
        ? { security: [{ [e.auth === 'user' ? 'userToken' : 'instanceToken']: [] }] }
        : {}),
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
      op.parameters = [
        { name: 'Stripe-Signature', in: 'header', required: true, schema: { type: 'string' } },
      ];
    }
    const p = openApiPath(`/v1${e.path}`);
    paths[p] = { ...paths[p], [e.method.toLowerCase()]: op };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Cloud Connect API', version },
    servers: [{ url: serverUrl }],
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
      },
    },
  };
}
