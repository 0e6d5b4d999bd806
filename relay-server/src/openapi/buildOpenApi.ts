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

function schema(s: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

/** `/instances/:instance_id` → `/instances/{instance_id}` */
const openApiPath = (p: string) => p.replace(/:([a-z_]+)/g, '{$1}');

function parameters(e: Endpoint): Json[] {
  const out: Json[] = [];
  for (const [where, s] of [
    ['path', e.params],
    ['query', e.query],
  ] as const) {
    if (!s) continue;
    const js = schema(s, 'input') as { properties?: Record<string, Json>; required?: string[] };
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
  for (const [name, e] of Object.entries(endpoints) as [string, Endpoint][]) {
    const responses: Record<string, Json> = {};
    if (e.status === 204) responses['204'] = { description: 'No Content' };
    else if (e.html)
      responses[String(e.status)] = { description: 'HTML page', content: { 'text/html': {} } };
    else if (e.response) {
      responses[String(e.status)] = {
        description: 'Success',
        content: { 'application/json': { schema: schema(e.response, 'output') } },
      };
    }
    const codes = [...new Set<ErrorCode>([...e.errors, ...ALWAYS])];
    const byStatus = new Map<number, ErrorCode[]>();
    for (const c of codes)
      byStatus.set(ERROR_STATUS[c], [...(byStatus.get(ERROR_STATUS[c]) ?? []), c]);
    for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
      responses[String(status)] = {
        description: list.join(', '),
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    const op: Json = {
      operationId: name,
      summary: e.summary,
      parameters: parameters(e),
      responses,
      ...(e.auth === 'user' || e.auth === 'instance'
        ? { security: [{ [e.auth === 'user' ? 'userToken' : 'instanceToken']: [] }] }
        : {}),
    };
    if (e.body) {
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: schema(e.body, 'input') } },
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
      schemas: { Error: schema(ErrorBody, 'output') },
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
